import type { Router } from 'express';
import { jsonContract, parseNative, type AdapterKit } from '@passerelle/adapter';
import { serviceRequestSchema, taskSchema } from '../domain/fhir-resources.schema.ts';
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

/** POST /fhir/ServiceRequest (a referral) and POST /fhir/Task (its status updates). */
export function mountFhirRoutes(router: Router, kit: AdapterKit): void {
  const { serviceRequest, task: taskRoute } = fhirContracts;
  router.post(serviceRequest.path, ...kit.json(serviceRequest.body.mediaTypes), async (req, res) => {
    const request = parseNative(serviceRequest.body.schema, req.body);
    const ctx = kit.mappingContext();
    const source = serviceRequestSourceId(request.id);
    const person = personOf(request);
    await kit.accept(req, res, [
      {
        sourceKey: source,
        // The fingerprint covers the person reference as an HMAC input only: it is never stored raw.
        content: serviceRequestContent(request, person),
        build: async (ids) => {
          const referralId = await ids.idFor('referral', source);
          return [
            {
              type: 'ReferralCreated',
              payload: mapServiceRequest(
                request,
                { referralId, subjectPseudonym: kit.pseudonymiser.person(person.system, person.id) },
                ctx,
              ),
            },
          ];
        },
      },
    ]);
  });

  router.post(taskRoute.path, ...kit.json(taskRoute.body.mediaTypes), async (req, res) => {
    const task = parseNative(taskRoute.body.schema, req.body);
    const ctx = kit.mappingContext();
    const target = taskTarget(task);
    await kit.accept(req, res, [
      {
        sourceKey: taskSourceKey(task),
        content: taskContent(task),
        build: async (ids) => {
          const referralId = 'referralId' in target ? target.referralId : await ids.idFor('referral', target.sourceId);
          const [changed, withdrawn] = mapTask(task, referralId, ctx);
          return withdrawn
            ? [
                { type: 'ReferralStatusChanged', payload: changed },
                { type: 'ConsentWithdrawn', payload: withdrawn },
              ]
            : [{ type: 'ReferralStatusChanged', payload: changed }];
        },
      },
    ]);
  });
}
