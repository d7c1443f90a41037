import type { CapabilityStatement, CapabilityStatementRestResource } from 'fhir/r4.js';
import { FHIR_BASE } from './fhir-codes.ts';

/** A route as the adapter declares it: what the CapabilityStatement is built from. */
export interface FhirRouteDeclaration {
  readonly method: 'get' | 'post';
  readonly path: string;
}

/** The FHIR operations this server knows, by name, with their HL7 definition. */
const OPERATION_DEFINITIONS: Readonly<Record<string, string>> = {
  validate: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
};

type Interaction = 'create' | 'read';

/**
 * The server's CapabilityStatement, read off its route declarations: `POST /fhir/<Type>` is a
 * create, `GET /fhir/<Type>/:id` a read, `POST /fhir/<Type>/$<name>` an operation, `POST /fhir` transaction and batch. A route that
 * is not in the declarations cannot be advertised, and a declared one cannot be left out.
 */
export function capabilityStatementOf(routes: readonly FhirRouteDeclaration[], date: string): CapabilityStatement {
  const resources = new Map<string, { interactions: Set<Interaction>; operations: Set<string> }>();
  const entry = (type: string) => {
    const known = resources.get(type) ?? { interactions: new Set<Interaction>(), operations: new Set<string>() };
    resources.set(type, known);
    return known;
  };
  const system = new Set<'transaction' | 'batch'>();
  for (const route of routes) {
    // POST to the base: transaction and batch Bundles.
    if (route.method === 'post' && route.path === '/fhir') system.add('transaction').add('batch');
    const [, root, type, rest, extra] = route.path.split('/');
    if (root !== 'fhir' || type === undefined || !/^[A-Z][A-Za-z]+$/.test(type) || extra !== undefined) continue;
    if (route.method === 'post' && rest === undefined) entry(type).interactions.add('create');
    else if (route.method === 'get' && rest !== undefined && rest.startsWith(':')) entry(type).interactions.add('read');
    else if (route.method === 'post' && rest?.startsWith('$')) entry(type).operations.add(rest.slice(1));
  }
  const resource: CapabilityStatementRestResource[] = [...resources].map(([type, { interactions, operations }]) => ({
    // A path segment of our own declarations; the test checks each is a FHIR R4 resource type.
    type: type as CapabilityStatementRestResource['type'],
    interaction: [...interactions].map((code) => ({ code })),
    ...(operations.size > 0
      ? {
          operation: [...operations].map((name) => ({
            name,
            definition: OPERATION_DEFINITIONS[name] ?? `${FHIR_BASE}/OperationDefinition/${name}`,
          })),
        }
      : {}),
  }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: 'Passerelle',
    kind: 'instance',
    implementation: {
      description:
        'Passerelle health adapter: referrals as ServiceRequest and their status updates as Task, accepted (202) and published as canonical events',
    },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          service: [
            {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' }],
              text: 'OAuth 2.0 bearer access token (client credentials)',
            },
          ],
          description:
            'Send Authorization: Bearer with an access token the identity provider issues to the health ministry’s systems (client credentials). The metadata and the conformance resources are served without one.',
        },
        resource,
        ...(system.size > 0 ? { interaction: [...system].map((code) => ({ code })) } : {}),
      },
    ],
  };
}
