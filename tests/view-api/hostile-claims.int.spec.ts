import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '@passerelle/logging';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, mintDevToken } from '@passerelle/view-api';
import { API_SCHEMA, SECRET, startViewApi, type ViewApiHarness } from './harness.ts';
import { SEED } from './view-seed.ts';

const stack = inject('stack');
/** Planted in every hostile claim: no answer, audit row or log line may quote it. */
const CANARY = 'Philomena-Castellanos';
const logLines: string[] = [];
const capture = createLogger({
  service: 'view-api-test',
  level: 'info',
  destination: new Writable({ write: (chunk, _e, cb) => (logLines.push(String(chunk)), cb()) }) as never,
});
let h: ViewApiHarness;

beforeAll(async () => {
  h = await startViewApi(
    stack.databaseUrl,
    'hostile_claims',
    { http: { rateLimitPerMinute: 0, requestTimeoutMs: 10_000 } },
    { logger: capture },
  );
});
afterAll(async () => {
  await h?.close();
});

/** Correctly signed with the dev HS256 secret, so only the claims themselves can be wrong. */
const signed = (claims: Record<string, unknown>): Promise<string> =>
  mintDevToken({
    secret: SECRET,
    issuer: DEFAULT_ISSUER,
    audience: DEFAULT_AUDIENCE,
    role: 'unused',
    expiresIn: '5m',
    claims: { role: undefined, ...claims },
  });

const good = { sub: 'dev-operator', role: 'coordination-office' };
const CASES: readonly { name: string; claims: Record<string, unknown>; claim: 'sub' | 'role' | 'ministry' }[] = [
  { name: 'a sub holding U+0000', claims: { ...good, sub: `${CANARY}\u0000x` }, claim: 'sub' },
  { name: 'a sub holding control characters', claims: { ...good, sub: `${CANARY}\u0007\u001b[31m\r\n` }, claim: 'sub' },
  { name: 'a sub of 10 kB', claims: { ...good, sub: `${CANARY}${'x'.repeat(10_000)}` }, claim: 'sub' },
  { name: 'a sub with spaces and non-ASCII letters', claims: { ...good, sub: `${CANARY} Zoë` }, claim: 'sub' },
  { name: 'an empty sub', claims: { ...good, sub: '' }, claim: 'sub' },
  { name: 'a numeric sub', claims: { ...good, sub: 12345 }, claim: 'sub' },
  { name: 'a sub that is an array', claims: { ...good, sub: [CANARY, 'b'] }, claim: 'sub' },
  { name: 'a sub that is an object', claims: { ...good, sub: { name: CANARY } }, claim: 'sub' },
  { name: 'a role holding U+0000', claims: { ...good, role: `coordination-office\u0000${CANARY}` }, claim: 'role' },
  { name: 'a role of 10 kB', claims: { ...good, role: `${CANARY.toLowerCase()}${'x'.repeat(10_000)}` }, claim: 'role' },
  { name: 'a role that is an array', claims: { ...good, role: ['coordination-office', 'operator'] }, claim: 'role' },
  { name: 'a role that is a boolean', claims: { ...good, role: true }, claim: 'role' },
  { name: 'no role at all', claims: { sub: 'dev-operator' }, claim: 'role' },
  {
    name: 'a ministry holding U+0000',
    claims: { sub: 'dev-ministry-health', role: 'ministry', ministry: `HEALTH\u0000${CANARY}` },
    claim: 'ministry',
  },
  {
    name: 'a ministry that is an array',
    claims: { sub: 'dev-ministry-health', role: 'ministry', ministry: ['HEALTH', 'JUSTICE'] },
    claim: 'ministry',
  },
  {
    name: 'a ministry of 10 kB',
    claims: { sub: 'dev-ministry-health', role: 'ministry', ministry: `HEALTH${'X'.repeat(10_000)}` },
    claim: 'ministry',
  },
];

type AuditRow = { id: number; subject: string | null; outcome: string; reason: string | null; status: number; filters: unknown };
const auditRows = async (): Promise<AuditRow[]> => (await h.db.withSchema(API_SCHEMA).table('audit').orderBy('id', 'asc')) as AuditRow[];

describe('signed tokens with hostile claims', () => {
  it.each(CASES)('refuses $name with a 401 naming the claim, records a sanitized refusal and nothing else', async ({ claims, claim }) => {
    const token = await signed(claims);
    const before = await auditRows();

    const answers = await Promise.all(
      [`/v1/referrals/${SEED.healthToHealth}`, '/v1/referrals', '/v1/stats/referrals'].map((path) => h.get(path, token)),
    );
    const texts = await Promise.all(answers.map((answer) => answer.text()));
    const after = await auditRows();

    for (const [i, answer] of answers.entries()) {
      expect(answer.status, texts[i]).toBe(401);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.parse(texts[i] ?? '')).toMatchObject({
        status: 401,
        detail: expect.stringContaining(`${claim} claim`) as unknown,
        errors: [{ field: `token.${claim}` }],
      });
      expect(texts[i]).not.toContain(CANARY);
      expect(texts[i]).not.toContain(CANARY.toLowerCase());
    }
    // The two person-level routes record the refusal, without the subject the token claimed; the aggregate records none.
    const added = after.slice(before.length);
    const refusal = expect.objectContaining({
      subject: null,
      role: null,
      ministry: null,
      outcome: 'denied',
      reason: 'bad-token',
      status: 401,
      filters: {},
    }) as unknown;
    expect(added).toEqual([refusal, refusal]);
    expect(JSON.stringify(added)).not.toContain(CANARY);
    expect(logLines.join('')).not.toContain(CANARY);
    expect(logLines.join('')).not.toContain(CANARY.toLowerCase());
  });

  it('still answers a valid subject with an unknown role 403 and audits its subject', async () => {
    const token = await signed({ sub: 'user-7', role: 'superuser' });
    const before = await auditRows();

    const answer = await h.get(`/v1/referrals/${SEED.healthToHealth}`, token);

    expect(answer.status).toBe(403);
    expect((await auditRows()).slice(before.length)).toEqual([
      expect.objectContaining({ subject: 'user-7', outcome: 'denied', reason: 'unknown-role', status: 403 }),
    ]);
  });
});
