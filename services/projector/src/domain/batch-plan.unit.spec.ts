import { describe, expect, it } from 'vitest';
import { EVENT_TYPE_FACTS, EVENT_TYPES, topicFor } from '@passerelle/contracts';
import { sampleEvents } from '@passerelle/contracts/testing';
import { minute, referral } from '../testing/event-builders.ts';
import { aggregateOf, planBatch, type PriorState } from './batch-plan.ts';
import type { AcceptedEvent } from './view-model.ts';
import { recordKeyerOf, recordKeyOf } from './record-key.ts';

const SECRET = 'test-only-record-key-secret-for-the-batch-plan-0001';
const keyOf = recordKeyerOf(SECRET);
const nothing: PriorState = { referralHistory: new Map(), gapHistory: new Map(), initiativeProgress: new Map() };

describe('planning a batch', () => {
  it('puts every event type in the aggregate its facts name, under the id its envelope correlates', () => {
    const events = sampleEvents();
    for (const type of EVENT_TYPES) {
      const payload = events[type];
      const event: AcceptedEvent = {
        eventId: payload.envelope.eventId,
        type,
        payload,
        occurredAt: payload.envelope.occurredAt,
        sourceMinistry: payload.envelope.sourceMinistry,
        position: { topic: topicFor('JUSTICE', type), partition: 0, offset: 0 },
        traceId: null,
      };

      expect(aggregateOf(event), type).toEqual({ kind: EVENT_TYPE_FACTS[type].aggregate, id: payload.envelope.correlationId });
    }
  });

  it('gives each referral row the record key of its id under the secret', () => {
    const a = referral();
    const b = referral();

    const plan = planBatch([a.created(minute(0)), b.created(minute(1)), b.status('RECEIVED', minute(2))], nothing, 1, keyOf);

    expect(plan.referrals.map((row) => [row.referral_id, row.record_key]).sort()).toEqual(
      [
        [a.referralId, recordKeyOf(SECRET, a.referralId)],
        [b.referralId, recordKeyOf(SECRET, b.referralId)],
      ].sort(),
    );
  });

  it('keeps the key when the referral is refolded from its stored history, a consent withdrawal included', () => {
    const r = referral();
    const first = planBatch([r.created(minute(0))], nothing, 1, keyOf);
    const prior: PriorState = { ...nothing, referralHistory: new Map([[r.referralId, first.referralHistory]]) };

    const later = planBatch([r.status('RECEIVED', minute(5)), r.withdrawn(minute(9))], prior, 2, keyOf);

    expect(later.referrals).toEqual([
      expect.objectContaining({ status: 'RECEIVED', subject_pseudonym: null, record_key: recordKeyOf(SECRET, r.referralId) }),
    ]);
  });

  it('computes the key with the keyer it is given, and nothing else', () => {
    const r = referral();

    const plan = planBatch([r.created(minute(0))], nothing, 1, () => 42);

    expect(plan.referrals[0]?.record_key).toBe(42);
  });

  it('a withdrawal that arrives before its creation erases, and is recorded as a purge, only once the creation shows it comes from a party', () => {
    const r = referral();
    const fromParty = r.withdrawn(minute(9), 'HEALTH');
    const fromOther = r.withdrawn(minute(8), 'EDUCATION');
    const early = planBatch([fromParty, fromOther], nothing, 1, keyOf);
    const prior: PriorState = { ...nothing, referralHistory: new Map([[r.referralId, early.referralHistory]]) };

    const later = planBatch([r.created(minute(0))], prior, 2, keyOf);

    expect(early.consentPurges).toEqual([]);
    expect(early.strippedReferrals).toEqual([]);
    expect(later.consentPurges.map((row) => [row.event_id, row.source_ministry])).toEqual([[fromParty.eventId, 'HEALTH']]);
    expect(later.strippedReferrals).toEqual([r.referralId]);
    expect(later.referralHistory[0]?.payload).not.toHaveProperty('subjectPseudonym');
  });

  it('a withdrawal from a ministry that is not a party erases nothing and leaves no purge record', () => {
    const r = referral();
    const first = planBatch([r.created(minute(0))], nothing, 1, keyOf);
    const prior: PriorState = { ...nothing, referralHistory: new Map([[r.referralId, first.referralHistory]]) };

    const later = planBatch([r.withdrawn(minute(5), 'EDUCATION')], prior, 2, keyOf);

    expect(later.consentPurges).toEqual([]);
    expect(later.strippedReferrals).toEqual([]);
    expect(later.referrals[0]).toMatchObject({ subject_pseudonym: r.pseudonym, consent_withdrawn_at: null });
    expect(later.illegalTransitions).toEqual([expect.objectContaining({ reason_code: 'not_a_party' })]);
  });
});
