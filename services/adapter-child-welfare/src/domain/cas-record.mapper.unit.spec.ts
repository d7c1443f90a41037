import { describe, expect, it } from 'vitest';
import { parseCsvBatch, parseNative } from '@passerelle/adapter';
import { avroIssues, fixedMappingContext, readFixture, problemOf } from '@passerelle/adapter/testing';
import {
  CAS_EXPORT_FREE_TEXT,
  CAS_EXPORT_OPTIONAL,
  CAS_EXPORT_REQUIRED,
  casExportRowSchema,
  casReferralSchema,
} from './cas-record.schema.ts';
import { mapCasConsentWithdrawalRow, mapCasReferral, mapCasStatusRow, personOf, rowToReferral } from './cas-record.mapper.ts';

const fixtures = new URL('../../fixtures/', import.meta.url);
const referralId = '7d1f2a9e-3b4c-4d5e-8f60-718293a4b5c6';
const exportSpec = {
  required: CAS_EXPORT_REQUIRED,
  optional: CAS_EXPORT_OPTIONAL,
  freeText: CAS_EXPORT_FREE_TEXT,
  row: casExportRowSchema,
  maxRows: 100,
};

describe("children's aid society record → canonical events", () => {
  it('maps a JSON referral of a youth leaving care: response time to urgency, legal status to the care flag', () => {
    const referral = parseNative(casReferralSchema, JSON.parse(readFixture(fixtures, 'cas-referral.json')));

    const event = mapCasReferral(referral, { referralId, subjectPseudonym: 'e'.repeat(64) }, fixedMappingContext('CHILD_WELFARE'));

    expect(personOf(referral)).toEqual({ system: 'on-cas-child-id', id: 'CAST/CW-778899' });
    expect(event).toMatchObject({
      envelope: { occurredAt: Date.UTC(2025, 2, 2), sourceMinistry: 'CHILD_WELFARE' },
      referringMinistry: 'CHILD_WELFARE',
      receivingMinistry: null,
      receivingServiceType: 'INDIGENOUS_ORGANIZATION',
      serviceCategory: 'HOUSING',
      region: 'NORTH_EAST',
      urgency: 'PRIORITY',
      consentScope: 'INDIGENOUS_PARTNER_CONTROLLED',
      populationFlags: { indigenous: true, youthAtRisk: true, youthInOrLeavingCare: true, youngWomen: null },
    });
    expect(avroIssues('ReferralCreated', event)).toEqual([]);
    expect(JSON.stringify(event)).not.toMatch(/Jordan|Whitebird|2009-06-30|Queen St|CW-778899|band representative/);
  });

  it('maps a society export: referral rows, a status row and a consent-withdrawal row', () => {
    const rows = parseCsvBatch(readFixture(fixtures, 'cas-export.csv'), exportSpec);
    const ctx = fixedMappingContext('CHILD_WELFARE');

    const [first, second, status, withdrawal] = rows.map((r) => r.value);
    const created = [first, second].map((row) =>
      mapCasReferral(rowToReferral(row!), { referralId, subjectPseudonym: 'f'.repeat(64) }, ctx),
    );
    const changed = mapCasStatusRow(status!, referralId, ctx);
    const withdrawn = mapCasConsentWithdrawalRow(withdrawal!, referralId, ctx);

    expect(rows.map((r) => r.value.record_type)).toEqual(['referral', 'referral', 'status', 'consent_withdrawal']);
    expect(created.map((e) => [e.urgency, e.receivingMinistry, e.populationFlags.youthInOrLeavingCare])).toEqual([
      ['URGENT', 'HEALTH', true],
      ['ROUTINE', 'EDUCATION', false],
    ]);
    expect(changed).toMatchObject({
      status: 'ACCEPTED',
      reasonCode: 'NOT_APPLICABLE',
      envelope: { occurredAt: Date.parse('2025-03-03T16:00:00Z') },
    });
    expect(withdrawn).toMatchObject({ referralId, envelope: { occurredAt: Date.UTC(2025, 2, 4) } });
    for (const event of created) expect(avroIssues('ReferralCreated', event)).toEqual([]);
    expect(avroIssues('ReferralStatusChanged', changed)).toEqual([]);
    expect(avroIssues('ConsentWithdrawn', withdrawn)).toEqual([]);
  });

  it('refuses a whole export when a referral row lacks its child id or a status row has an unknown status', () => {
    const problem = problemOf(() => parseCsvBatch(readFixture(fixtures, 'invalid/cas-export-bad-rows.csv'), exportSpec));

    expect(problem.errors).toEqual([
      { field: 'row 3, column child_id', reason: 'is required when record_type is referral' },
      { field: 'row 4, column status', reason: expect.stringContaining('must be one of') },
    ]);
  });

  it('names the unknown society code, legal status and response time of a JSON record', () => {
    const problem = problemOf(() =>
      parseNative(casReferralSchema, JSON.parse(readFixture(fixtures, 'invalid/cas-referral-unknown-codes.json'))),
    );

    expect(problem.errors.map((e) => e.field)).toEqual(['agencyCode', 'legalStatus', 'responseTime']);
  });
});
