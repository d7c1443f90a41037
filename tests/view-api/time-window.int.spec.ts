import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { API_SCHEMA, startViewApi, type ViewApiHarness } from './harness.ts';

const stack = inject('stack');
let h: ViewApiHarness;
let office: string;

beforeAll(async () => {
  h = await startViewApi(stack.databaseUrl, 'time_window', { http: { rateLimitPerMinute: 0, requestTimeoutMs: 10_000 } });
  office = await h.token('coordination-office');
});
afterAll(async () => {
  await h?.close();
});

/** Instants PostgreSQL refuses (year 0000), reads as BC or far ahead, or that no record can name. */
const IMPLAUSIBLE = [
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '1899-12-01T00:00:00Z',
  '1900-01-01T00:00:00+01:00',
  '9999-12-01T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '2200-01-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
];
const auditCount = async (): Promise<number> =>
  Number(((await h.db.withSchema(API_SCHEMA).table('audit').count({ n: '*' }).first()) as { n: string | number }).n);

describe('query bounds outside the plausible window', () => {
  it.each(
    IMPLAUSIBLE.flatMap((value) =>
      ['/v1/stats/referrals', '/v1/referrals'].flatMap((path) => ['from', 'to'].map((parameter) => ({ path, parameter, value }))),
    ),
  )('$path?$parameter=$value is a 400 naming $parameter and the window', async ({ path, parameter, value }) => {
    const before = await auditCount();

    const response = await h.get(`${path}?${parameter}=${encodeURIComponent(value)}`, office);
    const problem = (await response.json()) as { status: number; errors?: { field: string; reason: string }[] };

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const named = problem.errors?.find((e) => e.field === parameter);
    expect(named?.reason).toContain('1900-01-01T00:00:00.000Z to 2100-01-01T00:00:00.000Z');
    expect(await auditCount()).toBe(before);
  });

  it('still answers bounds inside the window', async () => {
    const stats = await h.get('/v1/stats/referrals?from=1900-01-01T00:00:00Z&to=2100-01-01T00:00:00Z', office);
    const list = await h.get('/v1/referrals?from=1900-01-01T00:00:00Z&to=2099-12-31T23:59:59Z', office);

    expect(stats.status).toBe(200);
    expect(list.status).toBe(200);
  });
});
