import { randomUUID } from 'node:crypto';
import { samplePseudonym } from '@passerelle/contracts/testing';
import { topicFor, type EventType, type TopicOwner } from '@passerelle/contracts';
import type { EventPayloads, ReferralStatus } from '@passerelle/schemas/generated';
import type { AcceptedEvent } from '../domain/view-model.ts';

const T0 = Date.UTC(2025, 2, 14, 9, 0, 0);
let offset = 0;

/** Minutes after a fixed origin: readable times for given/when/then tests. */
export const minute = (n: number): number => T0 + n * 60_000;

function accepted<T extends EventType>(type: T, source: TopicOwner, at: number, correlationId: string, body: Omit<EventPayloads[T], 'envelope'>, eventId: string = randomUUID()): AcceptedEvent<T> {
  return {
    eventId,
    type,
    payload: {
      envelope: { eventId, occurredAt: at, sourceMinistry: source, correlationId, causationId: null, schemaVersion: 1, traceparent: null, tracestate: null },
      ...body,
    } as unknown as EventPayloads[T],
    occurredAt: at,
    sourceMinistry: source,
    position: { topic: topicFor(source, type), partition: 0, offset: offset++ },
    traceId: null,
  };
}

/** Events about one referral, with sensible defaults; tests override what they are about. */
export function referral(referralId = randomUUID()) {
  return {
    referralId,
    pseudonym: samplePseudonym(referralId),
    created(at = minute(0), overrides: Partial<EventPayloads['ReferralCreated']> = {}, source: TopicOwner = 'JUSTICE'): AcceptedEvent<'ReferralCreated'> {
      return accepted('ReferralCreated', source, at, referralId, {
        referralId,
        subjectPseudonym: samplePseudonym(referralId),
        referringMinistry: source,
        receivingMinistry: 'HEALTH',
        receivingServiceType: 'HEALTH_PROVIDER',
        serviceCategory: 'TRAUMA_COUNSELLING',
        region: 'NORTH_WEST',
        urgency: 'URGENT',
        consentScope: 'STANDARD',
        populationFlags: { indigenous: true, youngWomen: true, youthAtRisk: null, youthInOrLeavingCare: false, migrantWorkers: null, mentalHealthOrAddictions: null },
        sealedSubject: null,
        ...overrides,
      });
    },
    status(status: ReferralStatus, at: number, source: TopicOwner = 'HEALTH'): AcceptedEvent<'ReferralStatusChanged'> {
      return accepted('ReferralStatusChanged', source, at, referralId, { referralId, status, reasonCode: 'NOT_APPLICABLE' });
    },
    withdrawn(at: number, source: TopicOwner = 'JUSTICE'): AcceptedEvent<'ConsentWithdrawn'> {
      return accepted('ConsentWithdrawn', source, at, referralId, { referralId });
    },
  };
}

export function serviceGap(gapId = randomUUID()) {
  return {
    gapId,
    reported(at = minute(0), source: TopicOwner = 'CHILD_WELFARE'): AcceptedEvent<'ServiceGapReported'> {
      return accepted('ServiceGapReported', source, at, gapId, {
        gapId,
        region: 'NORTH_EAST',
        serviceCategory: 'HOUSING',
        severity: 'CRITICAL',
        gapCode: 'NO_SERVICE_IN_REGION',
        affectedPopulations: { indigenous: true, youngWomen: null, youthAtRisk: true, youthInOrLeavingCare: null, migrantWorkers: null, mentalHealthOrAddictions: null },
      });
    },
    resolved(at: number, source: TopicOwner = 'COORDINATION_OFFICE'): AcceptedEvent<'ServiceGapResolved'> {
      return accepted('ServiceGapResolved', source, at, gapId, { gapId, resolution: 'FUNDING_PROVIDED' });
    },
  };
}

export function milestone(initiativeId: string, lead: TopicOwner, status: EventPayloads['InitiativeMilestoneRecorded']['status'], at: number, eventId?: string): AcceptedEvent<'InitiativeMilestoneRecorded'> {
  return accepted('InitiativeMilestoneRecorded', lead, at, initiativeId, { initiativeId, status, measure: { unit: 'PEOPLE_TRAINED', quantity: 10 } }, eventId);
}
