import { createHash, randomUUID } from 'node:crypto';
import type { EventPayloads, Envelope, Ministry } from '@passerelle/schemas/generated';
import type { EventType } from '../src/event-types.ts';

/** A valid envelope; tests override what they care about. */
export function sampleEnvelope(correlationId: string, overrides: Partial<Envelope> = {}): Envelope {
  return {
    eventId: randomUUID(),
    occurredAt: Date.UTC(2025, 2, 14, 15, 9, 26, 535),
    sourceMinistry: 'JUSTICE',
    correlationId,
    causationId: null,
    schemaVersion: 1,
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    tracestate: 'passerelle=adapter-justice',
    acceptedAt: Date.UTC(2025, 2, 14, 15, 9, 27, 12),
    ...overrides,
  };
}

/** What a ministry adapter would put in subjectPseudonym: a keyed hash, never the person. */
export function samplePseudonym(seed = 'sample'): string {
  return createHash('sha256').update(`test-key:${seed}`).digest('hex');
}

/** An event's payload without its envelope: what builders fill in before wrapping it. */
export type SampleBody<T extends EventType> = Omit<EventPayloads[T], 'envelope'>;

/** A referral's creation with every optional field filled; tests override what they are about. */
export function sampleReferralCreated(
  referralId: string,
  source: Ministry,
  overrides: Partial<SampleBody<'ReferralCreated'>> = {},
): SampleBody<'ReferralCreated'> {
  return {
    referralId,
    subjectPseudonym: samplePseudonym(referralId),
    referringMinistry: source,
    receivingMinistry: 'HEALTH',
    receivingServiceType: 'HEALTH_PROVIDER',
    serviceCategory: 'TRAUMA_COUNSELLING',
    region: 'NORTH_WEST',
    urgency: 'URGENT',
    consentScope: 'INDIGENOUS_PARTNER_CONTROLLED',
    populationFlags: {
      indigenous: true,
      youngWomen: true,
      youthAtRisk: null,
      youthInOrLeavingCare: false,
      migrantWorkers: null,
      mentalHealthOrAddictions: null,
    },
    sealedSubject: null,
    ...overrides,
  };
}

export function sampleReferralStatusChanged(
  referralId: string,
  status: SampleBody<'ReferralStatusChanged'>['status'] = 'ON_HOLD',
  reasonCode: SampleBody<'ReferralStatusChanged'>['reasonCode'] = 'AWAITING_PARTNER',
): SampleBody<'ReferralStatusChanged'> {
  return { referralId, status, reasonCode };
}

export function sampleMilestone(
  initiativeId: string,
  status: SampleBody<'InitiativeMilestoneRecorded'>['status'] = 'REACHED',
  quantity = 1250,
): SampleBody<'InitiativeMilestoneRecorded'> {
  return { initiativeId, status, measure: { unit: 'PEOPLE_TRAINED', quantity } };
}

export function sampleServiceGapReported(gapId: string): SampleBody<'ServiceGapReported'> {
  return {
    gapId,
    region: 'NORTH_EAST',
    serviceCategory: 'HOUSING',
    severity: 'CRITICAL',
    gapCode: 'NO_SERVICE_IN_REGION',
    affectedPopulations: {
      indigenous: true,
      youngWomen: null,
      youthAtRisk: true,
      youthInOrLeavingCare: true,
      migrantWorkers: null,
      mentalHealthOrAddictions: null,
    },
  };
}

export function sampleServiceGapResolved(gapId: string): SampleBody<'ServiceGapResolved'> {
  return { gapId, resolution: 'FUNDING_PROVIDED' };
}

/** One valid payload of every event type, with every optional field filled. */
export function sampleEvents(source: Ministry = 'JUSTICE'): { [T in EventType]: EventPayloads[T] } {
  const referralId = randomUUID();
  const gapId = randomUUID();
  const created = sampleEnvelope(referralId, { sourceMinistry: source });
  return {
    ReferralCreated: { envelope: created, ...sampleReferralCreated(referralId, source) },
    ReferralStatusChanged: {
      envelope: sampleEnvelope(referralId, { sourceMinistry: 'HEALTH', causationId: created.eventId }),
      ...sampleReferralStatusChanged(referralId),
    },
    ConsentWithdrawn: {
      envelope: sampleEnvelope(referralId, { sourceMinistry: source, traceparent: null, tracestate: null }),
      referralId,
    },
    InitiativeMilestoneRecorded: {
      envelope: sampleEnvelope('S2016-P2-04', { sourceMinistry: 'JUSTICE' }),
      ...sampleMilestone('S2016-P2-04'),
    },
    ServiceGapReported: { envelope: sampleEnvelope(gapId, { sourceMinistry: 'CHILD_WELFARE' }), ...sampleServiceGapReported(gapId) },
    ServiceGapResolved: { envelope: sampleEnvelope(gapId, { sourceMinistry: 'COORDINATION_OFFICE' }), ...sampleServiceGapResolved(gapId) },
  };
}
