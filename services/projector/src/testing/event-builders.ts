import { randomUUID } from 'node:crypto';
import {
  sampleMilestone,
  samplePseudonym,
  sampleReferralCreated,
  sampleReferralStatusChanged,
  sampleServiceGapReported,
  sampleServiceGapResolved,
  type SampleBody,
} from '@passerelle/contracts/testing';
import {
  NO_POPULATION_FLAGS,
  SEALED_PSEUDONYM_PLACEHOLDER,
  sealSubject,
  topicFor,
  type EventType,
  type TopicOwner,
} from '@passerelle/contracts';
import type { EventPayloads, ReferralStatus } from '@passerelle/schemas/generated';
import type { AcceptedEvent } from '../domain/view-model.ts';

const T0 = Date.UTC(2025, 2, 14, 9, 0, 0);
let offset = 0;

/** Minutes after a fixed origin: readable times for given/when/then tests. */
export const minute = (n: number): number => T0 + n * 60_000;

function accepted<T extends EventType>(
  type: T,
  source: TopicOwner,
  at: number,
  correlationId: string,
  body: SampleBody<T>,
  eventId: string = randomUUID(),
): AcceptedEvent<T> {
  return {
    eventId,
    type,
    payload: {
      envelope: {
        eventId,
        occurredAt: at,
        sourceMinistry: source,
        correlationId,
        causationId: null,
        schemaVersion: 1,
        traceparent: null,
        tracestate: null,
        acceptedAt: at,
      },
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
    created(
      at = minute(0),
      overrides: Partial<EventPayloads['ReferralCreated']> = {},
      source: TopicOwner = 'JUSTICE',
    ): AcceptedEvent<'ReferralCreated'> {
      // The sample's defaults, but a standard consent: most projector tests are about the common case.
      return accepted(
        'ReferralCreated',
        source,
        at,
        referralId,
        sampleReferralCreated(referralId, source, { consentScope: 'STANDARD', ...overrides }),
      );
    },
    /**
     * The creation as an adapter seals it: placeholders in the plaintext fields, the real
     * pseudonym and flags (those `created` carries) sealed under `dataKey`.
     */
    sealedCreated(
      dataKey: Buffer,
      at = minute(0),
      overrides: Partial<EventPayloads['ReferralCreated']> = {},
      source: TopicOwner = 'JUSTICE',
    ): AcceptedEvent<'ReferralCreated'> {
      const plain = this.created(at, overrides, source);
      const { subjectPseudonym, populationFlags } = plain.payload;
      const sealedSubject = sealSubject(referralId, dataKey, { subjectPseudonym, populationFlags });
      return {
        ...plain,
        payload: {
          ...plain.payload,
          subjectPseudonym: SEALED_PSEUDONYM_PLACEHOLDER,
          populationFlags: { ...NO_POPULATION_FLAGS },
          sealedSubject,
        },
      };
    },
    status(status: ReferralStatus, at: number, source: TopicOwner = 'HEALTH'): AcceptedEvent<'ReferralStatusChanged'> {
      return accepted('ReferralStatusChanged', source, at, referralId, sampleReferralStatusChanged(referralId, status, 'NOT_APPLICABLE'));
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
      return accepted('ServiceGapReported', source, at, gapId, sampleServiceGapReported(gapId));
    },
    resolved(at: number, source: TopicOwner = 'COORDINATION_OFFICE'): AcceptedEvent<'ServiceGapResolved'> {
      return accepted('ServiceGapResolved', source, at, gapId, sampleServiceGapResolved(gapId));
    },
  };
}

export function milestone(
  initiativeId: string,
  lead: TopicOwner,
  status: EventPayloads['InitiativeMilestoneRecorded']['status'],
  at: number,
  eventId?: string,
): AcceptedEvent<'InitiativeMilestoneRecorded'> {
  return accepted('InitiativeMilestoneRecorded', lead, at, initiativeId, sampleMilestone(initiativeId, status, 10), eventId);
}
