import { createHmac, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RECORD_KEY_MODULUS, recordKeyerOf, recordKeyFingerprint, recordKeyOf } from './record-key.ts';

const SECRET = 'test-only-record-key-secret-for-this-unit-spec-0001';
const OTHER = 'test-only-record-key-secret-for-this-unit-spec-0002';
const ID = '10000000-0000-4000-8000-000000000001';

describe('record keys', () => {
  it('are the first four bytes, big-endian, of HMAC-SHA256(secret, "referral:" + the id in lower case)', () => {
    const expected = createHmac('sha256', Buffer.from(SECRET, 'utf8')).update(`referral:${ID}`).digest().readUInt32BE(0);

    expect(recordKeyOf(SECRET, ID)).toBe(expected);
    expect(recordKeyOf(SECRET, ID.toUpperCase())).toBe(expected);
    expect(recordKeyerOf(SECRET)(ID)).toBe(expected);
  });

  it('are the same every time for the same id and secret', () => {
    expect(recordKeyOf(SECRET, ID)).toBe(recordKeyOf(SECRET, ID));
  });

  it('differ from one id to another and from one secret to another', () => {
    const ids = Array.from({ length: 1_000 }, () => randomUUID());

    expect(new Set(ids.map((id) => recordKeyOf(SECRET, id))).size).toBeGreaterThan(995);
    expect(ids.filter((id) => recordKeyOf(SECRET, id) === recordKeyOf(OTHER, id)).length).toBeLessThan(2);
  });

  it('are whole numbers from 0 to 2^32 - 1', () => {
    for (let i = 0; i < 2_000; i++) {
      const key = recordKeyOf(SECRET, randomUUID());
      expect(Number.isInteger(key) && key >= 0 && key < RECORD_KEY_MODULUS, String(key)).toBe(true);
    }
  });

  it('are spread evenly over their range: 20,000 ids in 64 buckets pass a chi-square test', () => {
    const buckets = 64;
    const ids = 20_000;
    const counts = new Array<number>(buckets).fill(0);
    for (let i = 0; i < ids; i++) {
      const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
      const bucket = Math.floor((recordKeyOf(SECRET, id) / RECORD_KEY_MODULUS) * buckets);
      counts[bucket] = (counts[bucket] as number) + 1;
    }
    const expected = ids / buckets;
    const chiSquare = counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);

    // 63 degrees of freedom: the mean is 63 and p = 0.001 lies near 104; 130 leaves room and still catches a skew.
    expect(chiSquare).toBeLessThan(130);
    for (const n of counts) expect(Math.abs(n - expected)).toBeLessThan(expected * 0.3);
  });

  it('are named by a fingerprint of 16 hex characters that tells secrets apart', () => {
    const fingerprint = recordKeyFingerprint(SECRET);

    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(recordKeyFingerprint(SECRET)).toBe(fingerprint);
    expect(recordKeyFingerprint(OTHER)).not.toBe(fingerprint);
  });
});
