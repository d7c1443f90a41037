import type { Router } from 'express';
import { parseNative, type AdapterKit } from '@passerelle/adapter';
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

/** POST /fhir/ServiceRequest (a referral) and POST /fhir/Task (its status updates). */
export function mountFhirRoutes(router: Router, kit: AdapterKit): void {
  router.post('/fhir/ServiceRequest', ...kit.json(FHIR_JSON), async (req, res) => {
    const request = parseNative(serviceRequestSchema, req.body);
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

  router.post('/fhir/Task', ...kit.json(FHIR_JSON), async (req, res) => {
    const task = parseNative(taskSchema, req.body);
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
