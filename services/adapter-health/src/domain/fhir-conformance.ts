import type { CodeSystem, StructureDefinition, ValueSet } from 'fhir/r4.js';
import { CODE_SYSTEMS, EXTENSIONS, FHIR_BASE } from './fhir-codes.ts';
import {
  AT_RISK_GROUPS,
  EXTENSION_VALUE_CODES,
  RECEIVING_SERVICE_TYPE_CODES,
  SERVICE_CATEGORY_CODES,
  STATUS_REASON_CODES,
} from './fhir-resources.schema.ts';

/** The version of Passerelle's referral profile the published resources describe. */
export const PROFILE_VERSION = '1.1.0';

interface CodeSystemFacts {
  readonly url: string;
  readonly title: string;
  readonly description: string;
  /** The codes the validation accepts: the very tables fhir-resources.schema.ts checks with. */
  readonly codes: Iterable<string>;
}

/** Every code system the mapper reads, with the list it checks codes against. */
const CODE_SYSTEM_FACTS: readonly CodeSystemFacts[] = [
  {
    url: CODE_SYSTEMS.serviceCategory,
    title: 'Service category',
    description: 'What a referral asks for (ServiceRequest.category or .code); the canonical ServiceCategory.',
    codes: SERVICE_CATEGORY_CODES.keys(),
  },
  {
    url: CODE_SYSTEMS.receivingServiceType,
    title: 'Receiving service type',
    description: 'The kind of service the referral goes to (ServiceRequest.performerType); the canonical ReceivingServiceType.',
    codes: RECEIVING_SERVICE_TYPE_CODES.keys(),
  },
  {
    url: CODE_SYSTEMS.atRiskGroup,
    title: 'At-risk group',
    description: 'A population the person belongs to (ServiceRequest.reasonCode); each sets one population flag.',
    codes: AT_RISK_GROUPS,
  },
  {
    url: CODE_SYSTEMS.statusReason,
    title: 'Referral status reason',
    description: 'Why a referral’s status changed (Task.statusReason); the canonical ReferralStatusReason.',
    codes: STATUS_REASON_CODES.keys(),
  },
  ...Object.entries(EXTENSION_VALUE_CODES).map(([extension, { system, codes }]) => ({
    url: system,
    title: titleOf(lastSegment(system)),
    description: `The values of the ${extension} extension.`,
    codes: codes.keys(),
  })),
];

function lastSegment(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

/** `young-women` → `Young women`. */
function titleOf(code: string): string {
  const words = code.replace(/-/g, ' ');
  return `${words[0]?.toUpperCase() ?? ''}${words.slice(1)}`;
}

/** `receiving-service-type` → `ReceivingServiceType` (a FHIR `name`: computer-friendly). */
function nameOf(id: string): string {
  return id
    .split('-')
    .map((part) => `${part[0]?.toUpperCase() ?? ''}${part.slice(1)}`)
    .join('');
}

const valueSetUrlOf = (codeSystemUrl: string): string => `${FHIR_BASE}/ValueSet/${lastSegment(codeSystemUrl)}`;

function codeSystemOf(facts: CodeSystemFacts): CodeSystem {
  const id = lastSegment(facts.url);
  const concept = [...facts.codes].map((code) => ({ code, display: titleOf(code) }));
  return {
    resourceType: 'CodeSystem',
    id,
    url: facts.url,
    version: PROFILE_VERSION,
    name: nameOf(id),
    title: facts.title,
    status: 'active',
    publisher: 'Passerelle',
    description: facts.description,
    caseSensitive: true,
    valueSet: valueSetUrlOf(facts.url),
    content: 'complete',
    count: concept.length,
    concept,
  };
}

function valueSetOf(facts: CodeSystemFacts): ValueSet {
  const id = lastSegment(facts.url);
  return {
    resourceType: 'ValueSet',
    id,
    url: valueSetUrlOf(facts.url),
    version: PROFILE_VERSION,
    name: nameOf(id),
    title: facts.title,
    status: 'active',
    publisher: 'Passerelle',
    description: `Every code of ${facts.url}.`,
    compose: { include: [{ system: facts.url }] },
  };
}

const EXTENSION_FACTS: Readonly<Record<string, { readonly title: string; readonly definition: string }>> = {
  [EXTENSIONS.region]: {
    title: 'Service region',
    definition: 'The Ontario region the referral is counted and routed in. Required on every ServiceRequest sent to Passerelle.',
  },
  [EXTENSIONS.consentScope]: {
    title: 'Consent scope',
    definition: 'What the person consented to share; missing, the most restrictive scope is assumed.',
  },
  [EXTENSIONS.receivingMinistry]: {
    title: 'Receiving ministry',
    definition: 'The ministry the referral is sent to.',
  },
};

function structureDefinitionOf(url: string): StructureDefinition {
  const id = lastSegment(url);
  const values = EXTENSION_VALUE_CODES[url];
  const facts = EXTENSION_FACTS[url];
  if (values === undefined || facts === undefined) throw new Error(`no code list or description for the extension ${url}`);
  return {
    resourceType: 'StructureDefinition',
    id,
    url,
    version: PROFILE_VERSION,
    name: nameOf(id),
    title: facts.title,
    status: 'active',
    publisher: 'Passerelle',
    description: facts.definition,
    fhirVersion: '4.0.1',
    kind: 'complex-type',
    abstract: false,
    context: [{ type: 'element', expression: 'ServiceRequest' }],
    type: 'Extension',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Extension',
    derivation: 'constraint',
    differential: {
      element: [
        { id: 'Extension', path: 'Extension', short: facts.title, definition: facts.definition, min: 0, max: '1' },
        { id: 'Extension.extension', path: 'Extension.extension', max: '0' },
        { id: 'Extension.url', path: 'Extension.url', fixedUri: url },
        {
          id: 'Extension.value[x]',
          path: 'Extension.value[x]',
          min: 1,
          type: [{ code: 'code' }],
          binding: { strength: 'required', valueSet: valueSetUrlOf(values.system) },
        },
      ],
    },
  };
}

/** The conformance resources served under /fhir/, by type and id (the last segment of their canonical URL). */
export const CONFORMANCE_RESOURCES = {
  StructureDefinition: new Map(Object.values(EXTENSIONS).map((url) => [lastSegment(url), structureDefinitionOf(url)])),
  CodeSystem: new Map(CODE_SYSTEM_FACTS.map((facts) => [lastSegment(facts.url), codeSystemOf(facts)])),
  ValueSet: new Map(CODE_SYSTEM_FACTS.map((facts) => [lastSegment(facts.url), valueSetOf(facts)])),
} as const;
export type ConformanceType = keyof typeof CONFORMANCE_RESOURCES;
