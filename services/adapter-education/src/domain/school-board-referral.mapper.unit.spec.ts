import { describe, expect, it } from 'vitest';
import { Pseudonymiser, parseNative } from '@passerelle/adapter';
import { avroIssues, fixedMappingContext, readFixture } from '@passerelle/adapter/testing';
import type { ProblemError } from '@passerelle/http';
import { schoolBoardReferralSchema } from './school-board-referral.schema.ts';
import { mapSchoolBoardReferral, personOf } from './school-board-referral.mapper.ts';

const fixtures = new URL('../../fixtures/', import.meta.url);
const json = (name: string): unknown => JSON.parse(readFixture(fixtures, name));
const referralId = '7d1f2a9e-3b4c-4d5e-8f60-718293a4b5c6';

describe('school board referral → ReferralCreated', () => {
  it('maps a student-support referral to child protection at a society, pseudonymising the OEN', () => {
    const referral = parseNative(schoolBoardReferralSchema, json('school-board-referral.json'));
    const pseudonymiser = new Pseudonymiser('unit-test-key-of-at-least-32-characters');
    const person = personOf(referral);

    const event = mapSchoolBoardReferral(
      referral,
      { referralId, subjectPseudonym: pseudonymiser.person(person.system, person.id) },
      fixedMappingContext('EDUCATION'),
    );

    expect(person).toEqual({ system: 'on-education-number', id: '123456789' });
    expect(event).toMatchObject({
      referringMinistry: 'EDUCATION',
      receivingMinistry: 'CHILD_WELFARE',
      receivingServiceType: 'CHILDRENS_AID_SOCIETY',
      serviceCategory: 'CHILD_PROTECTION',
      region: 'TORONTO',
      urgency: 'URGENT',
      populationFlags: { youngWomen: true, youthAtRisk: true, indigenous: null },
    });
    expect(event.subjectPseudonym).toBe(pseudonymiser.person('on-education-number', '123-456-789'.replace(/-/g, '')));
    expect(avroIssues('ReferralCreated', event)).toEqual([]);
    expect(JSON.stringify(event)).not.toMatch(/Noor|Haddad|2009-10-21|Thorncliffe|123-?456-?789|boyfriend/);
  });

  it('maps a referral without school, student details or flags', () => {
    const event = mapSchoolBoardReferral(
      parseNative(schoolBoardReferralSchema, json('school-board-referral-minimal.json')),
      { referralId, subjectPseudonym: '0'.repeat(64) },
      fixedMappingContext('EDUCATION'),
    );

    expect(event).toMatchObject({
      receivingMinistry: null,
      serviceCategory: 'EDUCATION_SUPPORT',
      region: 'EAST',
      consentScope: 'AGGREGATE_ONLY',
      populationFlags: { youthAtRisk: true, youngWomen: null },
    });
    expect(avroIssues('ReferralCreated', event)).toEqual([]);
  });

  it('names the bad board number, OEN, grade, support code, missing consent and future date', () => {
    let problem: ProblemError | undefined;
    try {
      parseNative(schoolBoardReferralSchema, json('invalid/school-board-referral-bad-fields.json'));
    } catch (error) {
      problem = error as ProblemError;
    }

    expect(problem?.errors).toEqual([
      { field: 'boardNumber', reason: expect.stringContaining('board number') },
      { field: 'student.oen', reason: expect.stringContaining('Ontario Education Number') },
      { field: 'student.grade', reason: 'must be a number' },
      { field: 'supportNeeded', reason: expect.stringContaining('must be one of') },
      { field: 'consent', reason: 'is required' },
      { field: 'referredOn', reason: 'is in the future' },
    ]);
  });
});
