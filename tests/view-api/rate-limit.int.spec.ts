import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_SCHEMA, startViewApi, type ViewApiHarness } from './harness.ts';

const stack = inject('stack');
const LIMIT = 5;
let h: ViewApiHarness;

beforeAll(async () => {
  // The dev coordination-office token's subject has a quota of its own; every other caller the default.
  h = await startViewApi(stack.databaseUrl, 'view_rate', {
    http: { rateLimitPerMinute: LIMIT, requestTimeoutMs: 10_000, rateLimitQuotas: { 'dev-coordination-office': 10_000 } },
  });
});
afterAll(async () => {
  await h?.close();
});

const auditCount = async (): Promise<number> =>
  Number(((await h.db.withSchema(API_SCHEMA).table('audit').count({ n: '*' }).first()) as { n: string | number }).n);
const madeUpJwt = (): string => [randomBytes(24), randomBytes(48), randomBytes(32)].map((part) => part.toString('base64url')).join('.');

// In this order: the address's bucket is whole until the last test spends it on made-up tokens.
describe('the rate limit of the view API', () => {
  it('does not limit a verified subject with a higher quota at the default rate', async () => {
    const office = await h.token('coordination-office');

    const statuses: number[] = [];
    for (let i = 0; i < LIMIT * 4; i += 1) statuses.push((await h.get('/v1/stats/referrals', office)).status);

    expect(statuses).toEqual(Array.from({ length: LIMIT * 4 }, () => 200));
  });

  it('limits a verified subject without a quota at the default rate, per subject', async () => {
    const justice = await h.token('ministry', 'JUSTICE');

    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i += 1) statuses.push((await h.get('/v1/stats/referrals', justice)).status);

    expect(statuses).toEqual([...Array.from({ length: LIMIT }, () => 200), 429]);
    expect((await h.get('/v1/stats/referrals', await h.token('coordination-office'))).status).toBe(200);
  });

  it('limits rotating made-up bearer tokens from one address: 429 problem details with Retry-After, and no audit row past the limit', async () => {
    const before = await auditCount();

    const answers: Response[] = [];
    for (let i = 0; i < LIMIT + 3; i += 1)
      answers.push(await h.get(`/v1/referrals/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, madeUpJwt()));
    const refused = answers[LIMIT];

    expect(answers.map((a) => a.status)).toEqual([...Array.from({ length: LIMIT }, () => 401), 429, 429, 429]);
    expect(refused?.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused?.json()).toMatchObject({
      status: 429,
      title: 'Too many requests',
      detail: expect.stringContaining('client address') as unknown,
    });
    // The refusals before the limit are audited (person-level route); the flood past it never reaches the audit.
    expect(await auditCount()).toBe(before + LIMIT);
  });
});
