import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { recordKeyOf } from '@passerelle/projector';
import { RECORD_KEY_SECRET, startViewApi, VIEW_SCHEMA, type ViewApiHarness } from './harness.ts';
import { expectedFigures, figuresOfBody, searchOf, viewRows, type FigureQuery } from './published-figures.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/**
 * Time-ranged aggregates must not let someone subtract one table from another to learn a
 * small count. The seed (view-seed.ts) has 23 referrals in March 2026: TORONTO 12, EAST 3,
 * WEST 8. This file adds two TORONTO referrals in February, so all time is TORONTO 14,
 * EAST 3, WEST 8 (25), and "all time minus March" would be February's 2 if counts were exact.
 * Every figure is perturbed by the cell key method; the same referrals always give the same figure.
 */
let h: ViewApiHarness;
let office: string;

beforeAll(async () => {
  h = await startViewApi(inject('stack').databaseUrl, 'view_api_differencing');
  office = await h.token('coordination-office');
  const template = (await h.db
    .withSchema(VIEW_SCHEMA)
    .table(VIEW_TABLE.referrals)
    .where({ region: 'TORONTO', status: 'REQUESTED' })
    .first()) as Record<string, unknown>;
  for (const [n, day] of [
    [1, '2026-02-10'],
    [2, '2026-02-20'],
  ] as const) {
    await h.db
      .withSchema(VIEW_SCHEMA)
      .table(VIEW_TABLE.referrals)
      .insert({
        ...template,
        referral_id: `40000000-0000-4000-8000-00000000000${n}`,
        record_key: recordKeyOf(RECORD_KEY_SECRET, `40000000-0000-4000-8000-00000000000${n}`),
        requested_at: `${day}T10:00:00Z`,
        status_changed_at: `${day}T10:00:00Z`,
      });
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
  const ranges: FigureQuery[] = [
    { groupBy: ['region'] },
    { groupBy: ['region'], from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' },
    { groupBy: ['region'], from: '2026-03-01T00:00:00.000Z' },
    { groupBy: ['region'], to: '2026-03-01T00:00:00.000Z' },
    { groupBy: ['region'], from: '2026-02-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' },
    { groupBy: ['region', 'status'], from: '2026-03-01T00:00:00.000Z' },
    {},
    { from: '2026-02-01T00:00:00.000Z' },
  ];

  it('publishes, for all time, from, to and both, the figures of the cell key method over exactly the referrals in range', async () => {
    const rows = await viewRows(h.db, VIEW_SCHEMA);
    for (const range of ranges) {
      const query = searchOf(range);
      const { status, body } = await stats(query);
      expect(status, query).toBe(200);
      expect(figuresOfBody(body as never), query).toEqual(expectedFigures(rows, range));
    }
  });

  it('never shows a small count as itself: EAST (3) and February (2) are never published as 3 or 2', async () => {
    const all = await stats('groupBy=region');
    const east = (all.body['cells'] as Array<{ key: { region: string }; count: number | null }>).find((c) => c.key.region === 'EAST');
    expect(east?.count).not.toBe(3);
    const february = await stats('from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z');
    expect(february.body['total']).not.toBe(2);
  });

  it('the March table and all time are perturbed as cells of their own, so their difference is not February exactly', async () => {
    const rows = await viewRows(h.db, VIEW_SCHEMA);
    const march = expectedFigures(rows, { from: '2026-03-01T00:00:00.000Z' });
    const allTime = expectedFigures(rows, {});
    // Either figure may be hidden or perturbed; the API agrees with the method on both.
    expect((await stats('from=2026-03-01T00:00:00Z')).body['total']).toBe(march.total);
    expect((await stats('')).body['total']).toBe(allTime.total);
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
