import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { recordKeyOf } from '@passerelle/projector';
import { CELL_KEY_MODULUS, DEFAULT_DISCLOSURE, publishCount } from '@passerelle/view-api';
import { VIEW_TABLE, type ReferralStatus, type Region } from '@passerelle/coordination-view';
import { RECORD_KEY_SECRET, startViewApi, VIEW_SCHEMA, type ViewApiHarness } from './harness.ts';

/**
 * Periods, measures, series and margins of /v1/stats/referrals over hand-built histories in
 * 2025 (the seed's 23 referrals are all of March 2026). Each history sets the referral's dates
 * as the projector's fold does: a status change stamps its own column and keeps the others, and
 * a referral reaches at most one final status. Expected figures come from the rows read back, in
 * plain TypeScript: which referrals each measure counts in each period, their true count and
 * cell key, put through the published method.
 */
interface History {
  readonly cohort: string;
  readonly size: number;
  readonly region: Region;
  readonly requested: string;
  readonly accepted?: string;
  readonly inProgress?: string;
  readonly completed?: string;
  readonly declined?: string;
  readonly withdrawn?: string;
}

const HISTORIES: readonly History[] = [
  // Accepted in February, completed in May: "accepted" in February, "closed" in May.
  {
    cohort: 'a',
    size: 12,
    region: 'TORONTO',
    requested: '2025-01-15T10:00:00Z',
    accepted: '2025-02-10T10:00:00Z',
    inProgress: '2025-02-11T10:00:00Z',
    completed: '2025-05-20T10:00:00Z',
  },
  // Either side of the fiscal year's turn (1 April, UTC).
  { cohort: 'b', size: 7, region: 'WEST', requested: '2025-03-31T23:59:00Z' },
  { cohort: 'c', size: 11, region: 'TORONTO', requested: '2025-04-01T00:00:00Z' },
  { cohort: 'd', size: 9, region: 'WEST', requested: '2025-04-01T00:00:00Z' },
  // Either side of a quarter's turn, for acceptances.
  { cohort: 'e', size: 6, region: 'TORONTO', requested: '2025-06-01T10:00:00Z', accepted: '2025-06-30T23:59:59.999Z' },
  { cohort: 'f', size: 9, region: 'WEST', requested: '2025-06-02T10:00:00Z', accepted: '2025-07-01T00:00:00Z' },
  // Closed by a decline, and by a withdrawal after acceptance.
  { cohort: 'g', size: 8, region: 'TORONTO', requested: '2025-05-05T10:00:00Z', declined: '2025-06-15T10:00:00Z' },
  {
    cohort: 'h',
    size: 6,
    region: 'WEST',
    requested: '2025-05-06T10:00:00Z',
    accepted: '2025-05-20T10:00:00Z',
    withdrawn: '2025-06-20T10:00:00Z',
  },
  // A small month: suppressed whatever its key.
  { cohort: 'i', size: 3, region: 'TORONTO', requested: '2025-08-10T10:00:00Z' },
];

const statusOf = (h: History): ReferralStatus =>
  h.completed ? 'COMPLETED' : h.declined ? 'DECLINED' : h.withdrawn ? 'WITHDRAWN' : h.accepted ? 'ACCEPTED' : 'REQUESTED';
const idOf = (cohort: string, n: number) => `50000000-0000-4000-8000-${(cohort.charCodeAt(0) * 1000 + n).toString().padStart(12, '0')}`;

type Measure = 'made' | 'accepted' | 'closed';
interface Row {
  region: string;
  requested: number;
  accepted: number | null;
  closed: number | null;
  recordKey: bigint;
}

let h: ViewApiHarness;
let office: string;
let rows: Row[];

beforeAll(async () => {
  h = await startViewApi(inject('stack').databaseUrl, 'view_api_periods');
  office = await h.token('coordination-office');
  const template = (await h.db.withSchema(VIEW_SCHEMA).table(VIEW_TABLE.referrals).first()) as Record<string, unknown>;
  const at = (value: string | undefined) => (value === undefined ? null : new Date(value));
  for (const history of HISTORIES) {
    for (let n = 1; n <= history.size; n += 1) {
      const id = idOf(history.cohort, n);
      const last = [history.requested, history.accepted, history.inProgress, history.completed, history.declined, history.withdrawn]
        .filter((value): value is string => value !== undefined)
        .sort()
        .at(-1) as string;
      await h.db
        .withSchema(VIEW_SCHEMA)
        .table(VIEW_TABLE.referrals)
        .insert({
          ...template,
          referral_id: id,
          record_key: recordKeyOf(RECORD_KEY_SECRET, id),
          region: history.region,
          status: statusOf(history),
          status_changed_at: new Date(last),
          subject_pseudonym: `psn-periods-${history.cohort}-${n}`,
          created_event_id: randomUUID(),
          last_event_id: randomUUID(),
          last_event_at: new Date(last),
          requested_at: new Date(history.requested),
          received_at: null,
          accepted_at: at(history.accepted),
          in_progress_at: at(history.inProgress),
          on_hold_at: null,
          completed_at: at(history.completed),
          declined_at: at(history.declined),
          withdrawn_at: at(history.withdrawn),
        });
    }
  }
  const stored = (await h.db
    .withSchema(VIEW_SCHEMA)
    .table(VIEW_TABLE.referrals)
    .select('region', 'requested_at', 'accepted_at', 'completed_at', 'declined_at', 'withdrawn_at', 'record_key')) as Array<
    Record<string, unknown>
  >;
  const ms = (value: unknown) => (value == null ? null : (value as Date).getTime());
  rows = stored.map((r) => {
    const finals = [ms(r['completed_at']), ms(r['declined_at']), ms(r['withdrawn_at'])].filter((v): v is number => v !== null);
    return {
      region: String(r['region']),
      requested: ms(r['requested_at']) as number,
      accepted: ms(r['accepted_at']),
      closed: finals.length > 0 ? Math.min(...finals) : null,
      recordKey: BigInt(String(r['record_key'])),
    };
  });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

// ---- the independent oracle ----

const dateOf = (row: Row, measure: Measure) => (measure === 'made' ? row.requested : measure === 'accepted' ? row.accepted : row.closed);
const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);
const quarterOf = (ms: number) => {
  const date = new Date(ms);
  return `${date.getUTCFullYear()}-Q${Math.floor(date.getUTCMonth() / 3) + 1}`;
};

/** The referrals a measure counts in [from, to), by hand-written bounds. */
function counted(measure: Measure, from: string | null, to: string | null, region?: string): Row[] {
  return rows.filter((row) => {
    const at = dateOf(row, measure);
    return (
      at !== null &&
      (from === null || at >= Date.parse(from)) &&
      (to === null || at < Date.parse(to)) &&
      (region === undefined || row.region === region)
    );
  });
}

const truth = (set: readonly Row[]) => ({
  count: set.length,
  cellKey: Number(set.reduce((sum, row) => sum + row.recordKey, 0n) % BigInt(CELL_KEY_MODULUS)),
});
const published = (set: readonly Row[]) => publishCount(truth(set), DEFAULT_DISCLOSURE);

interface Cell {
  key: Record<string, string>;
  count: number | null;
  suppressed: boolean;
}
interface Body {
  measure: string;
  period: { name: string | null; from: string | null; to: string | null };
  total: number | null;
  totalSuppressed: boolean;
  cells: Cell[];
  margins: Array<{ by: string; cells: Cell[] }>;
}

const stats = async (query: string) => {
  const response = await h.get(`/v1/stats/referrals?${query}`, office);
  return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Body };
};
const ok = async (query: string) => {
  const answer = await stats(query);
  expect(answer.status, query).toBe(200);
  return answer.body;
};

/** A cell as the method must publish it: suppressed when truly small, else within ±D of the truth, and exactly the method's value. */
function expectCell(cell: Cell | undefined, set: readonly Row[], label: string) {
  const expected = published(set);
  if (set.length === 0 || expected.value === 0) {
    expect(cell, label).toBeUndefined();
    return;
  }
  expect(cell, label).toBeDefined();
  if (set.length <= DEFAULT_DISCLOSURE.threshold) expect(cell, label).toMatchObject({ count: null, suppressed: true });
  else if (!cell?.suppressed)
    expect(Math.abs((cell?.count ?? Infinity) - set.length), label).toBeLessThanOrEqual(DEFAULT_DISCLOSURE.maxPerturbation);
  expect({ count: cell?.count, suppressed: cell?.suppressed }, label).toEqual({ count: expected.value, suppressed: expected.suppressed });
}

const expectTotal = (body: Body, set: readonly Row[], label: string) => {
  const expected = published(set);
  expect({ total: body.total, suppressed: body.totalSuppressed }, label).toEqual({
    total: expected.value,
    suppressed: expected.suppressed,
  });
};

describe('measures', () => {
  it('counts a referral accepted then completed as made in its request month, accepted in its acceptance month and closed in its completion month', async () => {
    const cohortA = rows.filter((row) => row.requested === Date.parse('2025-01-15T10:00:00Z'));
    expect(cohortA).toHaveLength(12);
    const made = await ok('period=2025-01');
    const accepted = await ok('period=2025-02&measure=accepted');
    const closed = await ok('period=2025-05&measure=closed');
    // The same twelve referrals each time: the same cell key, so the same published figure.
    for (const [body, label] of [
      [made, 'made'],
      [accepted, 'accepted'],
      [closed, 'closed'],
    ] as const)
      expectTotal(body, cohortA, label);
    expect(accepted.total).toBe(made.total);
    expect(closed.total).toBe(made.total);
    // Completion does not take the acceptance back, and acceptance does not close.
    expect(counted('accepted', '2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z')).toEqual(cohortA);
    expectTotal(await ok('period=2025-05&measure=accepted'), counted('accepted', '2025-05-01T00:00:00Z', '2025-06-01T00:00:00Z'), 'May');
    expect((await ok('period=2025-02&measure=closed')).total).toBe(0);
  });

  it('closes a referral at its decline or its withdrawal, a withdrawal after acceptance still counting as accepted when it was', async () => {
    const june = counted('closed', '2025-06-01T00:00:00Z', '2025-07-01T00:00:00Z');
    expect(june).toHaveLength(14);
    expectTotal(await ok('period=2025-06&measure=closed'), june, 'closed in June');
    expectTotal(
      await ok('period=2025-05&measure=accepted'),
      counted('accepted', '2025-05-01T00:00:00Z', '2025-06-01T00:00:00Z'),
      'accepted in May',
    );
  });

  it('says which measure and which [from, to) it counted', async () => {
    expect(await ok('period=FY2025-26&measure=closed')).toMatchObject({
      measure: 'closed',
      period: { name: 'FY2025-26', from: '2025-04-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' },
    });
    expect(await ok('from=2025-04-01T00:00:00Z')).toMatchObject({
      measure: 'made',
      period: { name: null, from: '2025-04-01T00:00:00.000Z', to: null },
    });
    expect(await ok('')).toMatchObject({ measure: 'made', period: { name: null, from: null, to: null } });
  });

  it('reads from and to on the measure’s own date', async () => {
    const set = counted('accepted', '2025-02-01T00:00:00Z', '2025-08-01T00:00:00Z');
    const body = await ok('measure=accepted&from=2025-02-01T00:00:00Z&to=2025-08-01T00:00:00Z');
    expectTotal(body, set, 'accepted February to July');
    expect(set.length).toBe(12 + 6 + 9 + 6);
  });
});

describe('period boundaries (UTC)', () => {
  it('puts 31 March 23:59 in the fiscal year ending and 1 April 00:00 in the one beginning', async () => {
    const ending = counted('made', '2024-04-01T00:00:00Z', '2025-04-01T00:00:00Z');
    const beginning = counted('made', '2025-04-01T00:00:00Z', '2026-04-01T00:00:00Z');
    expect(ending.filter((row) => row.requested === Date.parse('2025-03-31T23:59:00Z'))).toHaveLength(7);
    expect(beginning.filter((row) => row.requested === Date.parse('2025-04-01T00:00:00Z'))).toHaveLength(20);
    expectTotal(await ok('period=FY2024-25'), ending, 'FY2024-25');
    expectTotal(await ok('period=FY2025-26'), beginning, 'FY2025-26');
    // By region, the 7 of WEST on 31 March are in FY2024-25's WEST alone.
    const byRegion = await ok('period=FY2024-25&groupBy=region');
    expectCell(
      byRegion.cells.find((c) => c.key['region'] === 'WEST'),
      ending.filter((row) => row.region === 'WEST'),
      'FY2024-25 WEST',
    );
  });

  it('puts 30 June 23:59:59.999 in Q2 and 1 July 00:00 in Q3', async () => {
    const q2 = counted('accepted', '2025-04-01T00:00:00Z', '2025-07-01T00:00:00Z');
    const q3 = counted('accepted', '2025-07-01T00:00:00Z', '2025-10-01T00:00:00Z');
    expect(q2.some((row) => row.accepted === Date.parse('2025-06-30T23:59:59.999Z'))).toBe(true);
    expect(q3.map((row) => row.accepted)).toEqual(Array(9).fill(Date.parse('2025-07-01T00:00:00Z')));
    expectTotal(await ok('period=2025-Q2&measure=accepted'), q2, 'Q2');
    expectTotal(await ok('period=2025-Q3&measure=accepted'), q3, 'Q3');
  });
});

describe('series', () => {
  it('publishes month and quarter series whose cells are the true counts within ±D, small ones suppressed, empty buckets left out', async () => {
    for (const [dimension, bucketOf] of [
      ['month', monthOf],
      ['quarter', quarterOf],
    ] as const) {
      for (const measure of ['made', 'accepted', 'closed'] as const) {
        const body = await ok(`groupBy=${dimension}&period=FY2025-26&measure=${measure}`);
        const set = counted(measure, '2025-04-01T00:00:00Z', '2026-04-01T00:00:00Z');
        const buckets = [...new Set(set.map((row) => bucketOf(dateOf(row, measure) as number)))];
        const label = `${dimension} ${measure}`;
        for (const cell of body.cells) expect(buckets, `${label}: ${cell.key[dimension]}`).toContain(cell.key[dimension]);
        for (const bucket of buckets)
          expectCell(
            body.cells.find((c) => c.key[dimension] === bucket),
            set.filter((row) => bucketOf(dateOf(row, measure) as number) === bucket),
            `${label} ${bucket}`,
          );
        expectTotal(body, set, `${label} FY2025-26`);
      }
    }
    // August's three referrals: a cell, always suppressed.
    const made = await ok('groupBy=month&period=FY2025-26');
    expect(made.cells.find((c) => c.key['month'] === '2025-08')).toMatchObject({ count: null, suppressed: true });
  });

  it('publishes a series cell exactly as the period of that cell alone: the same referrals, the same figure', async () => {
    const byMonth = await ok('groupBy=month&from=2025-01-01T00:00:00Z&to=2026-04-01T00:00:00Z');
    for (const cell of byMonth.cells) {
      const alone = await ok(`period=${cell.key['month']}`);
      expect({ count: alone.total, suppressed: alone.totalSuppressed }, String(cell.key['month'])).toEqual({
        count: cell.count,
        suppressed: cell.suppressed,
      });
    }
    const byQuarter = await ok('groupBy=quarter,region&measure=accepted&period=FY2025-26');
    const q3West = byQuarter.cells.find((c) => c.key['quarter'] === '2025-Q3' && c.key['region'] === 'WEST');
    const alone = await ok('period=2025-Q3&measure=accepted&region=WEST');
    expect(q3West?.count).toBe(alone.total);
    expectCell(q3West, counted('accepted', '2025-07-01T00:00:00Z', '2025-10-01T00:00:00Z', 'WEST'), 'Q3 WEST');
  });
});

describe('margins', () => {
  it('gives each margin of a two-dimension table as the one-dimension table publishes it, each from its own cell key', async () => {
    const table = await ok('groupBy=region,month&period=FY2025-26');
    const byRegion = await ok('groupBy=region&period=FY2025-26');
    const byMonth = await ok('groupBy=month&period=FY2025-26');
    expect(table.margins.map((m) => m.by)).toEqual(['region', 'month']);
    expect(table.margins[0]?.cells).toEqual(byRegion.cells);
    expect(table.margins[1]?.cells).toEqual(byMonth.cells);
    expect(table.total).toBe(byRegion.total);
    const set = counted('made', '2025-04-01T00:00:00Z', '2026-04-01T00:00:00Z');
    for (const region of ['TORONTO', 'WEST', 'EAST'])
      expectCell(
        table.margins[0]?.cells.find((c) => c.key['region'] === region),
        set.filter((row) => row.region === region),
        `margin ${region}`,
      );
  });

  it('gives no margins for one dimension or three', async () => {
    expect((await ok('groupBy=region&period=FY2025-26')).margins).toEqual([]);
    expect((await ok('groupBy=region,status,category')).margins).toEqual([]);
  });
});

describe('refused queries', () => {
  it.each([
    ['period=2025-13', 'period'],
    ['period=2025-Q5', 'period'],
    ['period=FY2025-27', 'period'],
    ['period=0000-01', 'period'],
    ['period=9999-12', 'period'],
    ['period=2025-03&from=2025-03-01T00:00:00Z', 'period'],
    ['period=2025-03&to=2025-04-01T00:00:00Z', 'period'],
    ['period=2025-03&period=2025-04', 'period'],
    ['period=%00', 'period'],
    ['period=' + 'FY'.repeat(100), 'period'],
    ['measure=opened', 'measure'],
    ['groupBy=month,quarter', 'groupBy'],
    ['groupBy=month,region,status', 'groupBy'],
  ])('%s is a 400 problem naming %s', async (query, field) => {
    const { status, type, body } = await stats(query);
    expect(status, query).toBe(400);
    expect(type, query).toContain('application/problem+json');
    expect(body, query).toMatchObject({ status: 400, errors: expect.arrayContaining([expect.objectContaining({ field })]) });
  });
});
