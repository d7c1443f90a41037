import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startViewApi, VIEW_SCHEMA, type ViewApiHarness } from './harness.ts';

/**
 * Time-ranged aggregates must not let someone subtract one table from another to learn a
 * small count. The seed (view-seed.ts) has 23 referrals in March 2026: TORONTO 12, EAST 3,
 * WEST 8. This file adds two TORONTO referrals in February, so all time is TORONTO 14,
 * EAST 3, WEST 8 (25), and "all time minus March" would reveal February's 2.
 */
let h: ViewApiHarness;
let office: string;

beforeAll(async () => {
  h = await startViewApi(inject('stack').databaseUrl, 'view_api_differencing');
  office = await h.token('coordination-office');
  const template = (await h.db.withSchema(VIEW_SCHEMA).table('referrals').where({ region: 'TORONTO', status: 'REQUESTED' }).first()) as Record<string, unknown>;
  for (const [n, day] of [
    [1, '2026-02-10'],
    [2, '2026-02-20'],
  ] as const) {
    await h.db
      .withSchema(VIEW_SCHEMA)
      .table('referrals')
      .insert({ ...template, referral_id: `40000000-0000-4000-8000-00000000000${n}`, requested_at: `${day}T10:00:00Z`, status_changed_at: `${day}T10:00:00Z` });
  }
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const stats = async (query: string) => {
  const response = await h.get(`/v1/stats/referrals?${query}`, office);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('stats over time ranges', () => {
  it('all time: EAST 3 is small and WEST 8 its complement', async () => {
    const { body } = await stats('groupBy=region');
    expect(body).toMatchObject({
      total: 25,
      cells: [
        { key: { region: 'EAST' }, count: null, suppressed: true },
        { key: { region: 'TORONTO' }, count: 14, suppressed: false },
        { key: { region: 'WEST' }, count: null, suppressed: true },
      ],
    });
  });

  it('March: TORONTO 12 is hidden because all time minus March would show 2, and so is the total 23', async () => {
    const { status, body } = await stats('groupBy=region&from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z');
    expect(status).toBe(200);
    // EAST small (3); TORONTO differs from all time by 2; the line has two hidden cells, so WEST 8 stays.
    expect(body).toMatchObject({
      total: null,
      totalSuppressed: true,
      cells: [
        { key: { region: 'EAST' }, count: null, suppressed: true },
        { key: { region: 'TORONTO' }, count: null, suppressed: true },
        { key: { region: 'WEST' }, count: 8, suppressed: false },
      ],
    });
  });

  it('February alone: 2 referrals, all hidden', async () => {
    const { body } = await stats('groupBy=region&from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z');
    expect(body).toMatchObject({ total: null, totalSuppressed: true, cells: [{ key: { region: 'TORONTO' }, count: null, suppressed: true }] });
  });

  it('takes only whole months, with to after from, and says which field is wrong', async () => {
    for (const [query, field] of [
      ['from=2026-03-01T00:00:01Z', 'from'],
      ['to=2026-03-15T00:00:00Z', 'to'],
      ['from=2026-03-01T00:00:00-05:00', 'from'],
      ['from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'to'],
    ] as const) {
      const { status, body } = await stats(`groupBy=region&${query}`);
      expect(status, query).toBe(400);
      expect(body, query).toMatchObject({ status: 400, errors: expect.arrayContaining([expect.objectContaining({ field })]) });
    }
  });
});
