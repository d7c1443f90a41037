import { describe, expect, it } from 'vitest';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import type { ProblemError } from '@passerelle/http';
import { fixedMappingContext } from '../../testing/index.ts';
import { parseNative } from '../field-problems.ts';
import { checkLeadership, mapInitiativeMilestone } from './initiative-milestone.mapper.ts';
import { initiativeMilestoneSchema } from './initiative-milestone.schema.ts';
import { defaultReason, mapConsentWithdrawal } from './referral-lifecycle.mapper.ts';
import { referralStatusChangeSchema } from './referral-lifecycle.schema.ts';
import { mapServiceGapReport } from './service-gap.mapper.ts';
import { serviceGapReportSchema } from './service-gap.schema.ts';

const initiatives = initiativesById(loadCatalogue());

function statusOf(run: () => void): number | undefined {
  try {
    run();
  } catch (error) {
    return (error as ProblemError).status;
  }
  return undefined;
}

describe('the common shapes every adapter accepts', () => {
  it('lets only the leading party record an initiative’s milestones', () => {
    expect(statusOf(() => checkLeadership('S2016-P2-03', 'JUSTICE', initiatives))).toBeUndefined();
    expect(statusOf(() => checkLeadership('S2016-P2-03', 'HEALTH', initiatives))).toBe(403);
    expect(statusOf(() => checkLeadership('S2016-P4-04', 'COORDINATION_OFFICE', initiatives))).toBeUndefined();
    expect(statusOf(() => checkLeadership('S2016-P9-01', 'COORDINATION_OFFICE', initiatives))).toBe(400);
  });

  it('maps a milestone keyed by its initiative, with its measure', () => {
    const milestone = parseNative(initiativeMilestoneSchema, {
      initiativeId: 'S2016-P1-05',
      status: 'at_risk',
      recordedAt: '2025-02-01T00:00:00Z',
      measure: { unit: 'people_trained', quantity: 12 },
      notes: 'dropped',
    });

    expect(mapInitiativeMilestone(milestone, fixedMappingContext('HEALTH'))).toMatchObject({
      envelope: { correlationId: 'S2016-P1-05', sourceMinistry: 'HEALTH', occurredAt: Date.UTC(2025, 1, 1) },
      initiativeId: 'S2016-P1-05',
      status: 'AT_RISK',
      measure: { unit: 'PEOPLE_TRAINED', quantity: 12 },
    });
  });

  it('maps a gap with unrecorded populations as null, not false', () => {
    const report = parseNative(serviceGapReportSchema, {
      gapReference: 'G-1',
      observedAt: '2025-03-01T00:00:00Z',
      region: 'north_west',
      serviceCategory: 'housing',
      severity: 'critical',
      gapCode: 'no_service_in_region',
      affectedPopulations: { indigenous: true },
    });

    const event = mapServiceGapReport(report, '11111111-2222-4333-8444-555555555555', fixedMappingContext('JUSTICE'));

    expect(event.affectedPopulations).toEqual({
      indigenous: true,
      youngWomen: null,
      youthAtRisk: null,
      youthInOrLeavingCare: null,
      migrantWorkers: null,
      mentalHealthOrAddictions: null,
    });
    expect(event).toMatchObject({
      region: 'NORTH_WEST',
      severity: 'CRITICAL',
      gapCode: 'NO_SERVICE_IN_REGION',
      envelope: { correlationId: event.gapId },
    });
  });

  it('needs exactly one of the ministry’s reference and the Passerelle referral id on a status change', () => {
    const schema = referralStatusChangeSchema('referralNumber');

    expect(statusOf(() => parseNative(schema, { status: 'accepted', changedAt: '2025-03-01T00:00:00Z' }))).toBe(400);
    expect(parseNative(schema, { referralNumber: 'V-1', status: 'on_hold', changedAt: '2025-03-01T00:00:00Z' })).toMatchObject({
      referralNumber: 'V-1',
      status: 'ON_HOLD',
    });
  });

  it('gives a status without a reason NOT_APPLICABLE when it needs none, UNKNOWN otherwise, and links a consent withdrawal to its cause', () => {
    expect(defaultReason('ACCEPTED', undefined)).toBe('NOT_APPLICABLE');
    expect(defaultReason('DECLINED', undefined)).toBe('UNKNOWN');
    expect(defaultReason('DECLINED', 'CAPACITY_FULL')).toBe('CAPACITY_FULL');
    expect(
      mapConsentWithdrawal(1, '11111111-2222-4333-8444-555555555555', fixedMappingContext('EDUCATION'), 'cause').envelope.causationId,
    ).toBe('cause');
  });
});
