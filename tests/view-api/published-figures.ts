import type { Knex } from 'knex';
import { CELL_KEY_MODULUS, DEFAULT_DISCLOSURE, publishCount, publishMedian, type DisclosureSettings } from '@passerelle/view-api';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/**
 * What /v1/stats/referrals must publish, computed here from the view's rows in plain TypeScript
 * (groups, counts, cell keys as sums of record keys, medians), independently of the API's SQL, and
 * put through the published method. Tests compare the API with it: the same set of referrals must
 * give the same figure whichever endpoint, filter or grouping produced it.
 */
export interface FigureQuery {
  readonly groupBy?: readonly ('region' | 'status' | 'category')[];
  readonly region?: string;
  readonly category?: string;
  readonly from?: string;
  readonly to?: string;
}

interface Row {
  region: string;
  status: string;
  category: string;
  requestedAt: number;
  acceptedAt: number | null;
  recordKey: bigint;
}

export interface ExpectedCell {
  key: Record<string, string>;
  count: number | null;
  suppressed: boolean;
  medianDaysToAcceptance: number | null;
}

export interface ExpectedFigures {
  total: number | null;
  totalSuppressed: boolean;
  medianDaysToAcceptance: number | null;
  cells: ExpectedCell[];
}

export async function viewRows(db: Knex, schema: string): Promise<Row[]> {
  const rows = (await db
    .withSchema(schema)
    .table(VIEW_TABLE.referrals)
    .select('region', 'status', 'service_category', 'requested_at', 'accepted_at', 'record_key')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({
    region: String(r['region']),
    status: String(r['status']),
    category: String(r['service_category']),
    requestedAt: (r['requested_at'] as Date).getTime(),
    acceptedAt: r['accepted_at'] == null ? null : (r['accepted_at'] as Date).getTime(),
    recordKey: BigInt(String(r['record_key'])),
  }));
}

/** percentile_cont(0.5): the middle value, or the mean of the two middle ones. */
function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = (sorted.length - 1) / 2;
  return ((sorted[Math.floor(middle)] as number) + (sorted[Math.ceil(middle)] as number)) / 2;
}

function figuresOf(rows: readonly Row[], settings: DisclosureSettings) {
  const keyOf = (subset: readonly Row[]) => Number(subset.reduce((sum, r) => sum + r.recordKey, 0n) % BigInt(CELL_KEY_MODULUS));
  const accepted = rows.filter((r) => r.acceptedAt !== null);
  const published = publishCount({ count: rows.length, cellKey: keyOf(rows) }, settings);
  const days = median(accepted.map((r) => ((r.acceptedAt as number) - r.requestedAt) / 86_400_000));
  return {
    published,
    median: published.suppressed ? null : publishMedian(days, { count: accepted.length, cellKey: keyOf(accepted) }, settings),
  };
}

export function expectedFigures(
  all: readonly Row[],
  query: FigureQuery,
  settings: DisclosureSettings = DEFAULT_DISCLOSURE,
): ExpectedFigures {
  const rows = all.filter(
    (r) =>
      (query.region === undefined || r.region === query.region) &&
      (query.category === undefined || r.category === query.category) &&
      (query.from === undefined || r.requestedAt >= Date.parse(query.from)) &&
      (query.to === undefined || r.requestedAt < Date.parse(query.to)),
  );
  const dimensions = query.groupBy ?? [];
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = JSON.stringify(dimensions.map((d) => r[d]));
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const total = figuresOf(rows, settings);
  const cells = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, subset]) => {
      const values = JSON.parse(key) as string[];
      const figures = figuresOf(subset, settings);
      return {
        key: Object.fromEntries(dimensions.map((d, i) => [d, values[i] as string])),
        count: figures.published.value,
        suppressed: figures.published.suppressed,
        medianDaysToAcceptance: figures.median,
      };
    })
    // A group published as 0 is not listed: it looks like an empty one.
    .filter((cell) => cell.count !== 0);
  return {
    total: total.published.value,
    totalSuppressed: total.published.suppressed,
    medianDaysToAcceptance: total.median,
    cells: dimensions.length === 0 ? [] : cells,
  };
}

/** The API's body reduced to what the oracle computes, cells in the same order. */
export function figuresOfBody(body: {
  total: number | null;
  totalSuppressed: boolean;
  medianDaysToAcceptance: number | null;
  cells: ExpectedCell[];
}): ExpectedFigures {
  return {
    total: body.total,
    totalSuppressed: body.totalSuppressed,
    medianDaysToAcceptance: body.medianDaysToAcceptance,
    cells: body.cells
      .map((c) => ({ key: c.key, count: c.count, suppressed: c.suppressed, medianDaysToAcceptance: c.medianDaysToAcceptance }))
      .sort((a, b) => JSON.stringify(Object.values(a.key)).localeCompare(JSON.stringify(Object.values(b.key)))),
  };
}

/** The query string of a figure query, as the API takes it. */
export function searchOf(query: FigureQuery): string {
  return new URLSearchParams(
    Object.entries(query).map(([k, v]): [string, string] => [k, Array.isArray(v) ? v.join(',') : String(v)]),
  ).toString();
}
