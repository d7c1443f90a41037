import type { NextFunction, Request, Response, Router } from 'express';
import { jsonContract, parseNative, type AdapterKit, type NativeRecord, type OperationContract } from '@passerelle/adapter';
import { ProblemError, problems, type FieldProblem, type ProblemRenderer } from '@passerelle/http';
import { bundleSchema, entryTypeProblems, resolveBundleReferences } from '../domain/fhir-bundle.ts';
import { capabilityStatementOf } from '../domain/fhir-capability.ts';
import { CONFORMANCE_RESOURCES, type ConformanceType } from '../domain/fhir-conformance.ts';
import {
  FHIR_JSON as FHIR_JSON_TYPE,
  allOk,
  asksForFhir,
  operationOutcomeOf,
  resourceTypeOfPath,
} from '../domain/fhir-operation-outcome.ts';
import { serviceRequestSchema, serviceRequestSchemaWith, taskSchema } from '../domain/fhir-resources.schema.ts';
import type { RegionMap } from '../domain/region-map.ts';
import { serviceRequestReferenceField } from '../domain/fhir-task-reference.ts';
import {
  mapServiceRequest,
  mapTask,
  personOf,
  serviceRequestContent,
  serviceRequestSourceId,
  taskContent,
  taskSourceKey,
  taskTarget,
} from '../domain/fhir-referral.mapper.ts';

const FHIR_JSON = ['application/fhir+json', 'application/json'];

const fixtures = new URL('../../fixtures/', import.meta.url);

/** The routes as mounted below and as /openapi.json describes them. */
export const fhirContracts = {
  serviceRequest: jsonContract({
    path: '/fhir/ServiceRequest',
    summary: 'A referral as an HL7 FHIR R4 ServiceRequest',
    schema: serviceRequestSchema,
    mediaTypes: FHIR_JSON,
    events: ['ReferralCreated'],
    examples: [new URL('service-request-full.json', fixtures), new URL('service-request-minimal.json', fixtures)],
  }),
  task: jsonContract({
    path: '/fhir/Task',
    summary: 'A referral’s status update as an HL7 FHIR R4 Task',
    description:
      'The Task names its referral by `focus.reference` (a ServiceRequest this adapter accepted) or by `focus.identifier` in the referral-id system (a referral of another ministry). A cancelled Task whose reason is a consent withdrawal also withdraws consent.',
    schema: taskSchema,
    mediaTypes: FHIR_JSON,
    events: ['ReferralStatusChanged', 'ConsentWithdrawn'],
    // The withdrawal last: a referral whose consent was withdrawn is refused afterwards.
    examples: [
      new URL('task-accepted.json', fixtures),
      new URL('task-minimal.json', fixtures),
      new URL('task-for-other-ministry-referral.json', fixtures),
      new URL('task-consent-withdrawn.json', fixtures),
    ],
  }),
};

/** What POST validates, and nothing else: `$validate` runs the same functions. The region map is read once, at start. */
function readersFor(regions: RegionMap) {
  const serviceRequestReader = serviceRequestSchemaWith(regions);
  return {
    regions,
    ServiceRequest: (body: unknown) => {
      const request = parseNative(serviceRequestReader, body);
      return { request, person: personOf(request) };
    },
    Task: (body: unknown) => {
      const task = parseNative(fhirContracts.task.body.schema, body);
      return { task, target: taskTarget(task) };
    },
  };
}
type Readers = ReturnType<typeof readersFor>;
type FhirResourceType = 'ServiceRequest' | 'Task';

const validateOperation = (type: FhirResourceType): OperationContract => ({
  method: 'post',
  path: `/fhir/${type}/$validate`,
  operationId: `validate${type}`,
  summary: `FHIR $validate: whether POST /fhir/${type} would accept this ${type} (nothing written, nothing published)`,
  description:
    'Runs the validation POST runs and answers an OperationOutcome: 200 with an information issue when valid, 200 with the issues POST would refuse it with otherwise (each with its FHIRPath expression). The resource is the body, or the `resource` parameter of a Parameters resource.',
  public: false,
  answers: [FHIR_JSON_TYPE],
  body: { kind: 'json', mediaTypes: FHIR_JSON, schema: (type === 'Task' ? fhirContracts.task : fhirContracts.serviceRequest).body.schema },
});

function conformanceRead(type: ConformanceType, summary: string): OperationContract {
  return {
    method: 'get',
    path: `/fhir/${type}/:id`,
    operationId: `get${type}`,
    summary,
    description: 'Served without a token: an integrator reads the profile before holding a credential.',
    public: true,
    answers: [FHIR_JSON_TYPE],
    parameters: { id: [...CONFORMANCE_RESOURCES[type].keys()] },
  };
}

/** The adapter's FHIR routes besides the two POSTs: what /openapi.json and the CapabilityStatement list. */
export const fhirOperations = {
  metadata: {
    method: 'get',
    path: '/fhir/metadata',
    operationId: 'getFhirMetadata',
    summary: 'The FHIR R4 CapabilityStatement of this server, without a token',
    public: true,
    answers: [FHIR_JSON_TYPE],
  },
  bundle: {
    method: 'post',
    path: '/fhir',
    operationId: 'postFhirBundle',
    summary: 'A transaction or batch Bundle of ServiceRequests and Tasks',
    description:
      'A transaction is accepted whole or not at all: one invalid entry (400, each issue at Bundle.entry[i].resource…) or one conflict (409) and nothing is written; accepted, it answers 202 with the events, `row` the entry’s index. A Task may name a ServiceRequest of the same transaction by its `urn:uuid:` fullUrl. A batch answers 200 with a batch-response Bundle, each entry accepted (202) or refused on its own.',
    public: false,
    answers: ['application/json', FHIR_JSON_TYPE],
    body: { kind: 'json', mediaTypes: FHIR_JSON, schema: bundleSchema },
  },
  validateServiceRequest: validateOperation('ServiceRequest'),
  validateTask: validateOperation('Task'),
  structureDefinition: conformanceRead(
    'StructureDefinition',
    'A Passerelle extension’s StructureDefinition, at the path of its canonical URL',
  ),
  codeSystem: conformanceRead('CodeSystem', 'A Passerelle code system, every code the adapter accepts and no other'),
  valueSet: conformanceRead('ValueSet', 'The ValueSet of all codes of a Passerelle code system'),
} satisfies Record<string, OperationContract>;

/** The CapabilityStatement, read off the route declarations above once at start. */
export function fhirCapabilityStatement(date = new Date().toISOString()) {
  return capabilityStatementOf(
    [
      ...Object.values(fhirContracts).map((contract) => ({ method: 'post' as const, path: contract.path })),
      ...Object.values(fhirOperations),
    ],
    date,
  );
}

const XML_TYPES = new Set(['application/fhir+xml', 'application/xml', 'text/xml']);

/** FHIR XML gets a 415 that says why: this server reads FHIR JSON only (README). */
function refuseXml(req: Request, _res: Response, next: NextFunction): void {
  const type = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== undefined && XML_TYPES.has(type)) {
    next(
      new ProblemError(415, 'Unsupported media type', {
        detail: 'FHIR XML is not supported: this server reads and answers FHIR JSON only; send application/fhir+json',
        errors: [{ field: 'Content-Type', reason: 'must be application/fhir+json or application/json: only JSON is supported, not XML' }],
      }),
    );
    return;
  }
  next();
}

/** Refusals as OperationOutcome to the requests that ask for FHIR (asksForFhir), problem details to the others. */
export const renderFhirProblem: ProblemRenderer = (req, _problem, body) => {
  if (!asksForFhir(req.headers.accept, req.headers['content-type'])) return undefined;
  return { contentType: FHIR_JSON_TYPE, body: operationOutcomeOf(body, resourceTypeOfPath(req.path)) };
};

/** GET /fhir/metadata and the conformance resources at their canonical paths, without a token. */
export function mountPublicFhirRoutes(router: Router): void {
  const capabilities = fhirCapabilityStatement();
  router.get(fhirOperations.metadata.path, (_req, res) => {
    res.type(FHIR_JSON_TYPE).json(capabilities);
  });
  for (const [type, operation] of [
    ['StructureDefinition', fhirOperations.structureDefinition],
    ['CodeSystem', fhirOperations.codeSystem],
    ['ValueSet', fhirOperations.valueSet],
  ] as const) {
    router.get(operation.path, (req, res) => {
      const resource = CONFORMANCE_RESOURCES[type].get(String(req.params['id']));
      // The id is not echoed: an answer quotes nothing a caller typed.
      if (resource === undefined) throw problems.notFound(`no ${type} of Passerelle has this id`);
      res.type(FHIR_JSON_TYPE).json(resource);
    });
  }
}

/** A `$validate` body: the resource itself, or a Parameters resource carrying it as `resource`. */
function resourceOf(body: unknown): unknown {
  const parameters = body as { resourceType?: unknown; parameter?: unknown } | null;
  if (
    typeof parameters !== 'object' ||
    parameters === null ||
    parameters.resourceType !== 'Parameters' ||
    !Array.isArray(parameters.parameter)
  )
    return body;
  const named = (parameters.parameter as { name?: unknown; resource?: unknown }[]).find(
    (p) => typeof p === 'object' && p?.name === 'resource',
  );
  return named?.resource ?? body;
}

/** A Bundle carries up to MAX_BUNDLE_ENTRIES records in one request. */
const BUNDLE_BODY_LIMIT = '2mb';

/** A batch entry accepted: its events' ids, as a 202 names them. */
function acceptedOutcome(events: readonly { eventType: string; eventId: string; referralId?: string }[]) {
  return {
    resourceType: 'OperationOutcome',
    issue: events.map((event) => ({
      severity: 'information',
      code: 'informational',
      diagnostics: `accepted as ${event.eventType} ${event.eventId}${event.referralId ? ` of referral ${event.referralId}` : ''}`,
    })),
  };
}

/**
 * One resource as the acceptance takes it: read exactly as POST /fhir/<Type> reads it, then mapped.
 * `at` is where the resource sits in the request (`entry[2].resource.`), for the fields a refusal names.
 */
function recordOf(
  readers: Readers,
  type: FhirResourceType,
  body: unknown,
  kit: AdapterKit,
  ctx: ReturnType<AdapterKit['mappingContext']>,
  at = '',
): NativeRecord {
  if (type === 'ServiceRequest') {
    const { request, person } = readers.ServiceRequest(body);
    const source = serviceRequestSourceId(request.id);
    return {
      sourceKey: source,
      // The fingerprint covers the person reference as an HMAC input only: it is never stored raw.
      content: serviceRequestContent(request, person, readers.regions),
      build: async (ids) => {
        const referralId = await ids.idFor('referral', source);
        return [
          {
            type: 'ReferralCreated',
            payload: mapServiceRequest(
              request,
              { referralId, subjectPseudonym: kit.pseudonymiser.person(person.system, person.id) },
              ctx,
              readers.regions,
            ),
          },
        ];
      },
    };
  }
  const { task, target } = readers.Task(body);
  return {
    sourceKey: taskSourceKey(task),
    content: taskContent(task),
    build: async (ids) => {
      // A ServiceRequest this adapter never accepted (nor one earlier in the same transaction) refuses the Task.
      const referralId =
        'referralId' in target
          ? target.referralId
          : await ids.createdIdFor('referral', target.sourceId, `${at}${serviceRequestReferenceField(task)}`);
      const [changed, withdrawn] = mapTask(task, referralId, ctx);
      return withdrawn
        ? [
            { type: 'ReferralStatusChanged', payload: changed },
            { type: 'ConsentWithdrawn', payload: withdrawn },
          ]
        : [{ type: 'ReferralStatusChanged', payload: changed }];
    },
  };
}

const isValidationProblem = (error: unknown): error is ProblemError => error instanceof ProblemError && error.status === 400;

/**
 * POST /fhir/ServiceRequest (a referral) and POST /fhir/Task (its status updates), and their
 * $validate; a ServiceRequest without the service-region extension takes its region from `regions`.
 */
export function mountFhirRoutes(router: Router, kit: AdapterKit, regions: RegionMap): void {
  const { serviceRequest, task: taskRoute } = fhirContracts;
  const readers = readersFor(regions);
  for (const [type, operation] of [
    ['ServiceRequest', fhirOperations.validateServiceRequest],
    ['Task', fhirOperations.validateTask],
  ] as const) {
    router.post(operation.path, refuseXml, ...kit.json(FHIR_JSON), (req, res) => {
      try {
        readers[type](resourceOf(req.body));
        res.status(200).type(FHIR_JSON_TYPE).json(allOk(type));
      } catch (error) {
        if (!isValidationProblem(error)) throw error;
        // Validation ran: FHIR answers 200 with the issues ($validate), the same issues POST refuses with.
        res
          .status(200)
          .type(FHIR_JSON_TYPE)
          .json(operationOutcomeOf({ status: 400, title: error.title, detail: error.message, errors: error.errors }, type));
      }
    });
  }

  router.post(serviceRequest.path, refuseXml, ...kit.json(serviceRequest.body.mediaTypes), async (req, res) => {
    await kit.accept(req, res, [recordOf(readers, 'ServiceRequest', req.body, kit, kit.mappingContext())]);
  });

  router.post(taskRoute.path, refuseXml, ...kit.json(taskRoute.body.mediaTypes), async (req, res) => {
    await kit.accept(req, res, [recordOf(readers, 'Task', req.body, kit, kit.mappingContext())]);
  });

  router.post(fhirOperations.bundle.path, refuseXml, ...kit.json(FHIR_JSON, BUNDLE_BODY_LIMIT), async (req, res) => {
    const bundle = parseNative(bundleSchema, req.body);
    const typeProblems = entryTypeProblems(bundle);
    if (typeProblems.length > 0) throw problems.validation(typeProblems);
    const ctx = kit.mappingContext();
    if (bundle.type === 'transaction') {
      const records: NativeRecord[] = [];
      const invalid: FieldProblem[] = [];
      resolveBundleReferences(bundle).forEach((resource, i) => {
        const type = bundle.entry[i]?.resource.resourceType ?? 'ServiceRequest';
        try {
          records.push({ ...recordOf(readers, type, resource, kit, ctx, `entry[${i}].resource.`), label: `entry[${i}]`, row: i });
        } catch (error) {
          if (!isValidationProblem(error)) throw error;
          for (const { field, reason } of error.errors)
            invalid.push({ field: field === 'body' ? `entry[${i}].resource` : `entry[${i}].resource.${field}`, reason });
        }
      });
      // All or nothing: one invalid entry and no entry is accepted.
      if (invalid.length > 0) throw problems.validation(invalid, 'an entry of the transaction is invalid; nothing was accepted');
      await kit.accept(req, res, records);
      return;
    }
    const entries = [];
    for (const entry of bundle.entry) {
      const type = entry.resource.resourceType;
      try {
        const result = await kit.acceptRecords(req, [recordOf(readers, type, entry.resource, kit, ctx)]);
        entries.push({ response: { status: '202 Accepted', outcome: acceptedOutcome(result.body.events) } });
      } catch (error) {
        if (!(error instanceof ProblemError) || error.status >= 500) throw error;
        entries.push({
          response: {
            status: `${error.status} ${error.title}`,
            outcome: operationOutcomeOf({ status: error.status, title: error.title, detail: error.message, errors: error.errors }, type),
          },
        });
      }
    }
    res.status(200).type(FHIR_JSON_TYPE).json({ resourceType: 'Bundle', type: 'batch-response', entry: entries });
  });
}
