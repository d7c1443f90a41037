import { describe, expect, it } from 'vitest';
import {
  auditSeal,
  canonicalAuditContent,
  canonicalJson,
  GENESIS_HASH,
  parseAuditHead,
  type AuditContent,
  type StoredAuditRow,
} from './audit-chain.ts';
import { AuditChainVerifier, verifyAuditTrail } from './audit-verification.ts';

const KEY = 'unit-test-audit-key-0123456789abcdef';

const content = (id: number, overrides: Partial<AuditContent> = {}): AuditContent => ({
  id,
  at: `2026-07-01T10:00:0${id % 10}.000Z`,
  kind: 'person-level',
  outcome: 'allowed',
  status: 200,
  reason: null,
  subject: 'dev-ministry-justice',
  role: 'ministry',
  ministry: 'JUSTICE',
  endpoint: '/v1/referrals/:id',
  filters: { id: '3f2b8c4e-5d6a-4b7c-8d9e-0a1b2c3d4e5f' },
  referralIds: ['3f2b8c4e-5d6a-4b7c-8d9e-0a1b2c3d4e5f'],
  requestId: '00000000-0000-4000-8000-00000000000' + String(id % 10),
  ...overrides,
});

/** A chain of `n` rows sealed with `key`, ids from `firstId`. */
function chain(n: number, key = KEY, firstId = 1): StoredAuditRow[] {
  const seal = auditSeal(key);
  const rows: StoredAuditRow[] = [];
  let prevHash = GENESIS_HASH;
  for (let i = 0; i < n; i += 1) {
    const row = content(firstId + i);
    const hash = seal(row, prevHash);
    rows.push({ ...row, prevHash, hash });
    prevHash = hash;
  }
  return rows;
}

function firstBreak(rows: readonly StoredAuditRow[], remembered?: { id: number; hash: string }) {
  const verifier = new AuditChainVerifier(KEY, remembered);
  for (const row of rows) {
    const broken = verifier.check(row);
    if (broken) return broken;
  }
  return verifier.finish();
}

describe('the audit chain', () => {
  it('serialises content canonically: key order does not matter, every field does', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 2, y: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":3,"z":2}]},"b":1}');
    expect(canonicalJson({ '10': 'x', '9': 'y', a: undefined })).toBe('{"10":"x","9":"y"}');
    const one = content(1, { filters: { region: 'EAST', limit: 50 } });
    expect(canonicalAuditContent(one, GENESIS_HASH)).toBe(
      canonicalAuditContent({ ...one, filters: { limit: 50, region: 'EAST' } }, GENESIS_HASH),
    );
    expect(canonicalAuditContent(one, GENESIS_HASH)).not.toBe(canonicalAuditContent({ ...one, outcome: 'denied' }, GENESIS_HASH));
    expect(canonicalAuditContent(one, GENESIS_HASH)).not.toBe(canonicalAuditContent({ ...one, status: 404 }, GENESIS_HASH));
  });

  it('seals with the key: another key gives another hash', () => {
    expect(auditSeal(KEY)(content(1), GENESIS_HASH)).toMatch(/^[0-9a-f]{64}$/);
    expect(auditSeal(KEY)(content(1), GENESIS_HASH)).not.toBe(auditSeal(`${KEY}-other`)(content(1), GENESIS_HASH));
  });

  it('finds an intact chain intact, with or without its remembered head', () => {
    const rows = chain(5);
    expect(firstBreak(rows)).toBeUndefined();
    expect(firstBreak(rows, { id: 5, hash: rows[4]?.hash ?? '' })).toBeUndefined();
    expect(firstBreak(rows, { id: 3, hash: rows[2]?.hash ?? '' })).toBeUndefined();
  });

  it('names the edited row', () => {
    const rows = chain(5);
    rows[2] = { ...(rows[2] as StoredAuditRow), subject: 'someone-else' };
    expect(firstBreak(rows)).toMatchObject({ id: 3, problem: expect.stringContaining('does not match its content') });
  });

  it('names the row after a deleted one, by its gap, and by its link when ids were renumbered', () => {
    const rows = chain(5);
    expect(firstBreak([...rows.slice(0, 2), ...rows.slice(3)])).toMatchObject({ id: 4, problem: 'follows row 2: row 3 is missing' });
    const renumbered = [...rows.slice(0, 2), { ...(rows[3] as StoredAuditRow), id: 3 }];
    expect(firstBreak(renumbered)).toMatchObject({ id: 3, problem: 'its prev_hash is not the hash of row 2' });
  });

  it('names the first row when the head of the chain was deleted, and the remembered head when the tail was', () => {
    const rows = chain(5);
    expect(firstBreak(rows.slice(1))).toMatchObject({ id: 2, problem: expect.stringContaining('does not start the chain') });
    const head = { id: 5, hash: rows[4]?.hash ?? '' };
    expect(firstBreak(rows.slice(0, 3))).toBeUndefined();
    expect(firstBreak(rows.slice(0, 3), head)).toMatchObject({
      id: 5,
      problem: expect.stringContaining('the remembered head is missing: the chain ends at row 3'),
    });
    expect(firstBreak(rows, { id: 5, hash: 'f'.repeat(64) })).toMatchObject({ id: 5, problem: 'differs from the remembered head' });
  });

  it('names the first row of a chain recomputed with another key', () => {
    expect(firstBreak(chain(4, 'another-key-another-key-another-key-01'))).toMatchObject({
      id: 1,
      problem: expect.stringContaining('sealed without the key'),
    });
  });

  it('counts rows from before the chain apart, and refuses an unsealed row inside it', () => {
    const before: StoredAuditRow[] = [1, 2].map((id) => ({ ...content(id), prevHash: null, hash: null }));
    const sealed = chain(2, KEY, 3);
    const verifier = new AuditChainVerifier(KEY);
    for (const row of [...before, ...sealed]) expect(verifier.check(row)).toBeUndefined();
    expect(verifier.summary()).toEqual({ sealed: 2, unsealed: 2, head: { id: 4, hash: sealed[1]?.hash } });
    expect(firstBreak([...sealed, { ...content(5), prevHash: null, hash: null }])).toMatchObject({
      id: 5,
      problem: expect.stringContaining('has no hash'),
    });
  });

  it('reads a trail in pages until its end', async () => {
    const rows = chain(7);
    const trail = { rowsAfter: async (after: number, limit: number) => rows.filter((r) => r.id > after).slice(0, limit) };
    await expect(verifyAuditTrail(trail, KEY, { id: 7, hash: rows[6]?.hash ?? '' }, 3)).resolves.toEqual({
      broken: undefined,
      summary: { sealed: 7, unsealed: 0, head: { id: 7, hash: rows[6]?.hash } },
    });
  });

  it('parses a head as id:hash and nothing else', () => {
    expect(parseAuditHead(`12:${'a'.repeat(64)}`)).toEqual({ id: 12, hash: 'a'.repeat(64) });
    for (const bad of ['12', `x:${'a'.repeat(64)}`, `12:${'a'.repeat(63)}`, `12:${'A'.repeat(64)}`, `-1:${'a'.repeat(64)}`])
      expect(parseAuditHead(bad)).toBeUndefined();
  });
});
