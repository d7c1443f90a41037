import { describe, expect, it } from 'vitest';
import { minute, referral } from '../testing/event-builders.ts';
import { planBatch, type PriorState } from './batch-plan.ts';
import { recordKeyerOf, recordKeyOf } from './record-key.ts';

const SECRET = 'test-only-record-key-secret-for-the-batch-plan-0001';
const keyOf = recordKeyerOf(SECRET);
const nothing: PriorState = { referralHistory: new Map(), gapHistory: new Map(), initiativeProgress: new Map() };

describe('planning a batch', () => {
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

    expect(later.referrals).toEqual([expect.objectContaining({ status: 'RECEIVED', subject_pseudonym: null, record_key: recordKeyOf(SECRET, r.referralId) })]);
  });

  it('computes the key with the keyer it is given, and nothing else', () => {
    const r = referral();

    const plan = planBatch([r.created(minute(0))], nothing, 1, () => 42);

    expect(plan.referrals[0]?.record_key).toBe(42);
  });
});
