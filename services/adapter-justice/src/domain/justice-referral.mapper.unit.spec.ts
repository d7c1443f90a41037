import { describe, expect, it } from 'vitest';
import { Pseudonymiser, canonicalJson, parseCsvBatch, parseNative } from '@passerelle/adapter';
import { avroIssues, fixedMappingContext, readFixture, problemOf } from '@passerelle/adapter/testing';
import {
  JUSTICE_BATCH_FREE_TEXT,
  JUSTICE_BATCH_OPTIONAL,
  JUSTICE_BATCH_REQUIRED,
  batchRowToReferral,
  justiceBatchRowSchema,
  justiceReferralSchema,
} from './justice-referral.schema.ts';
import { codedContentOf, mapJusticeReferral, personOf } from './justice-referral.mapper.ts';

const fixtures = new URL('../../fixtures/', import.meta.url);
const json = (name: string): unknown => JSON.parse(readFixture(fixtures, name));
const pseudonymiser = new Pseudonymiser('unit-test-key-of-at-least-32-characters');
const referralId = '7d1f2a9e-3b4c-4d5e-8f60-718293a4b5c6';
const batchSpec = {
  required: JUSTICE_BATCH_REQUIRED,
  optional: JUSTICE_BATCH_OPTIONAL,
  freeText: JUSTICE_BATCH_FREE_TEXT,
  row: justiceBatchRowSchema,
  maxRows: 100,
};

describe('justice case-management referral → ReferralCreated', () => {
  it('maps a VWAP referral to coded values, a keyed pseudonym and the referral time', () => {
    const referral = parseNative(justiceReferralSchema, json('vwap-referral.json'));
    const person = personOf(referral);

    const event = mapJusticeReferral(
      referral,
      { referralId, subjectPseudonym: pseudonymiser.person(person.system, person.id) },
      fixedMappingContext('JUSTICE'),
    );

    expect(event).toEqual({
      envelope: {
        eventId: '00000000-0000-4000-8000-000000000001',
        occurredAt: Date.parse('2025-03-03T15:15:00Z'),
        sourceMinistry: 'JUSTICE',
        correlationId: referralId,
        causationId: null,
        schemaVersion: 2,
        traceparent: null,
        tracestate: null,
        acceptedAt: Date.UTC(2025, 2, 15, 12, 0, 0),
      },
      referralId,
      subjectPseudonym: pseudonymiser.person('on-justice-person-id', 'JP-0045521'),
      referringMinistry: 'JUSTICE',
      receivingMinistry: 'HEALTH',
      receivingServiceType: 'HEALTH_PROVIDER',
      serviceCategory: 'TRAUMA_COUNSELLING',
      region: 'TORONTO',
      urgency: 'URGENT',
      consentScope: 'STANDARD',
      populationFlags: {
        indigenous: false,
        youngWomen: true,
        youthAtRisk: null,
        youthInOrLeavingCare: null,
        migrantWorkers: null,
        mentalHealthOrAddictions: null,
      },
      // The acceptance seals, not the mapper.
      sealedSubject: null,
    });
    expect(avroIssues('ReferralCreated', event)).toEqual([]);
  });

  it('leaves the name, birth date, address, phone, case number and notes behind', () => {
    const referral = parseNative(justiceReferralSchema, json('vwap-referral.json'));
    const event = mapJusticeReferral(referral, { referralId, subjectPseudonym: 'a'.repeat(64) }, fixedMappingContext('JUSTICE'));

    const text = JSON.stringify(event);
    for (const personal of ['Amara', 'Okafor', '2001-07-14', 'Carlaw', 'M4M', '416-555', '4811-998-25-12345', 'JP-0045521', 'bail hearing'])
      expect(text).not.toContain(personal);
  });

  it('maps a court-support referral with every optional element missing to nulls', () => {
    const referral = parseNative(justiceReferralSchema, json('court-support-referral-minimal.json'));
    const event = mapJusticeReferral(referral, { referralId, subjectPseudonym: 'b'.repeat(64) }, fixedMappingContext('JUSTICE'));

    expect(event).toMatchObject({
      receivingMinistry: null,
      receivingServiceType: 'COMMUNITY_AGENCY',
      serviceCategory: 'EMERGENCY_TRAVEL_AND_SHELTER_FUNDING',
      region: 'NORTH_EAST',
      urgency: 'EMERGENCY',
      consentScope: 'AGGREGATE_ONLY',
    });
    expect(Object.values(event.populationFlags).every((flag) => flag === null)).toBe(true);
    expect(avroIssues('ReferralCreated', event)).toEqual([]);
  });

  it('names every invalid field of a malformed referral, with no input value quoted', () => {
    const problem = problemOf(() => parseNative(justiceReferralSchema, json('invalid/vwap-referral-wrong-types.json')));

    expect(problem.status).toBe(400);
    expect(problem.errors.map((e) => e.field).sort()).toEqual(
      ['victim.personId', 'victim.dateOfBirth', 'referredTo.serviceType', 'region', 'urgency', 'referredAt', 'regoin'].sort(),
    );
    expect(problem.errors.find((e) => e.field === 'victim.personId')?.reason).toBe('must be a string, got a number');
    expect(JSON.stringify(problem.errors)).not.toMatch(/14\/07\/2001|whenever|hospital/);
  });
});

describe('justice CSV batch → ReferralCreated per row', () => {
  it('maps every row of a valid upload, with formulas allowed only in dropped free-text columns', () => {
    const rows = parseCsvBatch(readFixture(fixtures, 'referral-batch.csv'), batchSpec);
    const ctx = fixedMappingContext('JUSTICE');

    const events = rows.map((row) =>
      mapJusticeReferral(batchRowToReferral(row.value), { referralId, subjectPseudonym: 'c'.repeat(64) }, ctx),
    );

    expect(rows.map((row) => row.row)).toEqual([2, 3, 4]);
    expect(events.map((e) => [e.serviceCategory, e.region, e.consentScope])).toEqual([
      ['INDIGENOUS_LED_SERVICE', 'NORTH_WEST', 'INDIGENOUS_PARTNER_CONTROLLED'],
      ['JOB_AND_LANGUAGE_TRAINING', 'WEST', 'STANDARD'],
      ['MENTAL_HEALTH_AND_ADDICTIONS', 'EAST', 'STANDARD'],
    ]);
    expect(events[0]?.populationFlags).toMatchObject({ indigenous: true, youngWomen: true, migrantWorkers: null });
    expect(events[1]?.envelope.occurredAt).toBe(Date.parse('2025-03-05T19:00:00Z'));
    expect(JSON.stringify(events)).not.toMatch(/HYPERLINK|cmd|Bergeron|Friendship/);
    for (const event of events) expect(avroIssues('ReferralCreated', event)).toEqual([]);
  });

  it('refuses the whole upload, naming each bad row and column, when any row is invalid', () => {
    const problem = problemOf(() => parseCsvBatch(readFixture(fixtures, 'invalid/referral-batch-bad-rows.csv'), batchSpec));

    expect(problem.errors).toEqual([
      { field: 'row 3, column region', reason: expect.stringContaining('must be one of') },
      { field: 'row 4, column person_id', reason: expect.stringContaining('formula') },
      { field: 'row 4, column urgency', reason: expect.stringContaining('must be one of') },
      { field: 'row 4, column referred_at', reason: expect.stringContaining('ISO 8601') },
    ]);
  });

  it('gives a row and the same JSON referral the same fingerprint, so a repeat through the other door is recognised', () => {
    const [row] = parseCsvBatch(
      'referral_number,program,person_id,first_name,receiving_service_type,receiving_ministry,support_needed,region,urgency,consent,referred_at,notes\n' +
        'CS-2025-000077,court_support,JP-0091377,Someone,community_agency,,emergency_shelter,north_east,emergency,aggregate_only,2025-03-04T22:40:00Z,hello\n',
      batchSpec,
    );
    const fromJson = parseNative(justiceReferralSchema, json('court-support-referral-minimal.json'));

    expect(canonicalJson(codedContentOf(batchRowToReferral(row!.value)))).toBe(canonicalJson(codedContentOf(fromJson)));
  });
});
