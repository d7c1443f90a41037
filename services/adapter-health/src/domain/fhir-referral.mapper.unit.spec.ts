import { describe, expect, it } from 'vitest';
import { Pseudonymiser, parseNative } from '@passerelle/adapter';
import { avroIssues, fixedMappingContext, readFixture, problemOf } from '@passerelle/adapter/testing';
import { serviceRequestSchema, taskSchema } from './fhir-resources.schema.ts';
import { mapServiceRequest, mapTask, personOf, serviceRequestSourceId, taskSourceKey, taskTarget } from './fhir-referral.mapper.ts';

const fixtures = new URL('../../fixtures/', import.meta.url);
const json = (name: string): unknown => JSON.parse(readFixture(fixtures, name));
const pseudonymiser = new Pseudonymiser('unit-test-key-of-at-least-32-characters');
const referralId = '7d1f2a9e-3b4c-4d5e-8f60-718293a4b5c6';

describe('FHIR ServiceRequest → ReferralCreated', () => {
  it('maps every coded element of a full ServiceRequest and pseudonymises the health card number', () => {
    const request = parseNative(serviceRequestSchema, json('service-request-full.json'));
    const person = personOf(request);

    const event = mapServiceRequest(
      request,
      { referralId, subjectPseudonym: pseudonymiser.person(person.system, person.id) },
      fixedMappingContext('HEALTH'),
    );

    expect(person).toEqual({ system: 'https://fhir.infoway-inforoute.ca/NamingSystem/ca-on-patient-hcn', id: '9876543217' });
    expect(event).toMatchObject({
      envelope: { occurredAt: Date.parse('2025-03-03T19:55:00Z'), sourceMinistry: 'HEALTH', correlationId: referralId },
      referralId,
      subjectPseudonym: pseudonymiser.person('https://fhir.infoway-inforoute.ca/NamingSystem/ca-on-patient-hcn', '9876543217'),
      referringMinistry: 'HEALTH',
      receivingMinistry: 'JUSTICE',
      receivingServiceType: 'VICTIM_WITNESS_ASSISTANCE_PROGRAM',
      serviceCategory: 'LEGAL_AND_VICTIM_WITNESS_SUPPORT',
      region: 'CENTRAL',
      urgency: 'PRIORITY',
      consentScope: 'STANDARD',
      populationFlags: { youngWomen: true, mentalHealthOrAddictions: true, indigenous: null, migrantWorkers: null },
    });
    expect(avroIssues('ReferralCreated', event)).toEqual([]);
    expect(JSON.stringify(event)).not.toMatch(/Priya|Raman|1996-01-09|9876543217|Dundas|Helen Park|p-7731|triage/);
  });

  it('maps a ServiceRequest with only id, status, intent, subject and region: UNKNOWN codes, null ministry and flags, the receive time', () => {
    const request = parseNative(serviceRequestSchema, json('service-request-minimal.json'));
    const ctx = fixedMappingContext('HEALTH');

    const event = mapServiceRequest(request, { referralId, subjectPseudonym: 'd'.repeat(64) }, ctx);

    expect(personOf(request)).toEqual({ system: 'fhir-patient-reference', id: 'Patient/p-9001' });
    expect(event).toMatchObject({
      envelope: { occurredAt: ctx.receivedAt },
      receivingMinistry: null,
      receivingServiceType: 'UNKNOWN',
      serviceCategory: 'UNKNOWN',
      region: 'NORTH_WEST',
      urgency: 'UNKNOWN',
      consentScope: 'UNKNOWN',
    });
    expect(Object.values(event.populationFlags).every((flag) => flag === null)).toBe(true);
    expect(avroIssues('ReferralCreated', event)).toEqual([]);
  });

  it('refuses a ServiceRequest without the service-region extension, naming the extension element', () => {
    const { extension: _region, ...withoutRegion } = json('service-request-minimal.json') as Record<string, unknown>;
    const otherExtensionOnly = {
      ...withoutRegion,
      extension: [{ url: 'https://passerelle.ontario.example/fhir/StructureDefinition/consent-scope', valueCode: 'standard' }],
    };

    for (const body of [withoutRegion, otherExtensionOnly]) {
      const problem = problemOf(() => parseNative(serviceRequestSchema, body));
      expect(problem.errors.map((e) => e.field)).toEqual(['extension']);
      expect(problem.errors[0]?.reason).toContain('service-region');
    }
  });

  it('refuses a draft ServiceRequest with unknown codes, naming each element and never quoting the card number', () => {
    const problem = problemOf(() => parseNative(serviceRequestSchema, json('invalid/service-request-not-active-bad-codes.json')));

    expect(problem.errors.map((e) => e.field).sort()).toEqual(
      ['authoredOn', 'category[0].coding[0].code', 'extension[0].valueCode', 'priority', 'status', 'subject.identifier.value'].sort(),
    );
    expect(JSON.stringify(problem.errors)).not.toMatch(/12345|spa-day|mars|whenever/);
  });
});

describe('FHIR Task → ReferralStatusChanged', () => {
  it('maps an accepted Task on its ServiceRequest, keyed by Task, status and time', () => {
    const task = parseNative(taskSchema, json('task-accepted.json'));

    const events = mapTask(task, referralId, fixedMappingContext('HEALTH'));

    expect(taskTarget(task)).toEqual({ sourceId: serviceRequestSourceId('sr-20250303-0042') });
    expect(taskSourceKey(task)).toBe(`task|task-0042-1|accepted|${Date.parse('2025-03-04T14:30:00Z')}`);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      referralId,
      status: 'ACCEPTED',
      reasonCode: 'NOT_APPLICABLE',
      envelope: { occurredAt: Date.parse('2025-03-04T14:30:00Z') },
    });
    expect(avroIssues('ReferralStatusChanged', events[0])).toEqual([]);
  });

  it('maps a Task with no lastModified, statusReason or focus (basedOn only) using the receive time and UNKNOWN reason', () => {
    const task = parseNative(taskSchema, json('task-minimal.json'));
    const ctx = fixedMappingContext('HEALTH');

    const [changed] = mapTask(task, referralId, ctx);

    expect(taskTarget(task)).toEqual({ sourceId: serviceRequestSourceId('sr-20250304-0007') });
    expect(changed).toMatchObject({ status: 'ON_HOLD', reasonCode: 'UNKNOWN', envelope: { occurredAt: ctx.receivedAt } });
    expect(avroIssues('ReferralStatusChanged', changed)).toEqual([]);
  });

  it('turns a Task cancelled for consent-withdrawn into a WITHDRAWN status change and a ConsentWithdrawn caused by it', () => {
    const task = parseNative(taskSchema, json('task-consent-withdrawn.json'));

    const [changed, withdrawn] = mapTask(task, referralId, fixedMappingContext('HEALTH'));

    expect(changed).toMatchObject({ status: 'WITHDRAWN', reasonCode: 'CONSENT_WITHDRAWN' });
    expect(withdrawn).toMatchObject({ referralId, envelope: { causationId: changed.envelope.eventId } });
    expect(avroIssues('ConsentWithdrawn', withdrawn)).toEqual([]);
  });

  it('accepts a Task about another ministry’s referral through its Passerelle referral id', () => {
    const task = parseNative(taskSchema, json('task-for-other-ministry-referral.json'));

    expect(taskTarget(task)).toEqual({ referralId: '3f2b8c4e-5d6a-4b7c-8d9e-0a1b2c3d4e5f' });
    expect(mapTask(task, '3f2b8c4e-5d6a-4b7c-8d9e-0a1b2c3d4e5f', fixedMappingContext('HEALTH'))[0].status).toBe('IN_PROGRESS');
  });

  it('refuses a draft Task whose focus is not a ServiceRequest', () => {
    const problem = problemOf(() => parseNative(taskSchema, json('invalid/task-draft-without-focus.json')));

    expect(problem.errors.map((e) => e.field)).toEqual(['status', 'focus']);
  });
});

describe('the referral a Task names', () => {
  const task = (refs: Record<string, unknown>) => ({ resourceType: 'Task', id: 't-1', status: 'accepted', intent: 'order', ...refs });
  const referralIdentifier = { system: 'https://passerelle.ontario.example/fhir/NamingSystem/referral-id', value: referralId };
  const fieldsOf = (body: unknown) => problemOf(() => parseNative(taskSchema, body)).errors.map((e) => `${e.field} ${e.reason}`);

  it('is the one ServiceRequest focus and basedOn agree on; references to other resources in basedOn are not names of it', () => {
    const parsed = parseNative(
      taskSchema,
      task({
        focus: { reference: 'ServiceRequest/sr-1' },
        basedOn: [{ reference: 'CarePlan/cp-1' }, { reference: 'ServiceRequest/sr-1' }],
      }),
    );

    expect(taskTarget(parsed)).toEqual({ sourceId: serviceRequestSourceId('sr-1') });
  });

  it('is refused when basedOn names another ServiceRequest, or a referral id, than focus', () => {
    expect(fieldsOf(task({ focus: { reference: 'ServiceRequest/sr-1' }, basedOn: [{ reference: 'ServiceRequest/sr-2' }] }))).toEqual([
      'basedOn[0] names another referral than focus: a Task updates one referral, its focus and basedOn must agree',
    ]);
    expect(fieldsOf(task({ basedOn: [{ reference: 'ServiceRequest/sr-1' }, { identifier: referralIdentifier }] }))).toEqual([
      'basedOn[1] names another referral than basedOn[0]: a Task updates one referral, its focus and basedOn must agree',
    ]);
  });

  it('is refused when one reference names it both by reference and by referral id', () => {
    expect(fieldsOf(task({ focus: { reference: 'ServiceRequest/sr-1', identifier: referralIdentifier } }))).toEqual([
      'focus names the referral twice, by reference and by an identifier of https://passerelle.ontario.example/fhir/NamingSystem/referral-id: send one of them',
    ]);
  });

  it('is read from the reference when the focus also carries a business identifier of the sending system', () => {
    const parsed = parseNative(
      taskSchema,
      task({ focus: { reference: 'ServiceRequest/sr-1', identifier: { system: 'urn:oid:1.2.3.4', value: 'PLAC-1' } } }),
    );

    expect(taskTarget(parsed)).toEqual({ sourceId: serviceRequestSourceId('sr-1') });
  });
});
