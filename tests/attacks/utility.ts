import type { Knex } from 'knex';
import { MONTHS, type Referral } from './dataset.ts';
import { matches } from './attacks.ts';
import type { ApiResponder, StatsQuery } from './responders.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/**
 * What the protection costs a reader: the mean absolute error of the published counts (cells that
 * are shown) and of the totals, against the true counts, over a fixed set of tables.
 */
export interface Utility {
  readonly label: string;
  readonly referrals: number;
  readonly cells: number;
  readonly cellMae: number;
  readonly suppressedCells: number;
  readonly totals: number;
  readonly totalMae: number;
}

const TABLES: readonly StatsQuery[] = [
  {},
  { groupBy: ['region'] },
  { groupBy: ['category'] },
  { groupBy: ['status'] },
  { groupBy: ['region', 'category'] },
  { groupBy: ['region', 'status'] },
  { groupBy: ['region', 'category', 'status'] },
  ...MONTHS.slice(0, 12).map((from, m) => ({ groupBy: ['region'], from, to: MONTHS[m + 1] as string })),
];

type Row = Pick<Referral, 'region' | 'category' | 'status' | 'requestedAt'>;

function truthOf(rows: readonly Row[], query: StatsQuery): { total: number; cells: Map<string, number> } {
  const selected = rows.filter(matches(query));
  const cells = new Map<string, number>();
  for (const r of selected) {
    const key = JSON.stringify((query.groupBy ?? []).map((d) => r[d as 'region' | 'category' | 'status']));
    cells.set(key, (cells.get(key) ?? 0) + 1);
  }
  return { total: selected.length, cells };
}

/** Reads the view's own rows (whatever put them there) and compares them with what the API publishes. */
export async function measureUtility(label: string, db: Knex, schema: string, api: ApiResponder): Promise<Utility> {
  const rows = (
    (await db.withSchema(schema).table(VIEW_TABLE.referrals).select('region', 'service_category', 'status', 'requested_at')) as Array<
      Record<string, unknown>
    >
  ).map((r) => ({
    region: String(r['region']),
    category: String(r['service_category']),
    status: String(r['status']) as Referral['status'],
    requestedAt: (r['requested_at'] as Date).getTime(),
  }));
  let cells = 0;
  let cellError = 0;
  let suppressedCells = 0;
  let totals = 0;
  let totalError = 0;
  for (const query of TABLES) {
    const body = await api.fresh(query);
    const truth = truthOf(rows, query);
    if (body.total !== null) {
      totals += 1;
      totalError += Math.abs(body.total - truth.total);
    }
    const published = new Map(body.cells.map((c) => [JSON.stringify((query.groupBy ?? []).map((d) => c.key[d])), c]));
    for (const [key, count] of truth.cells) {
      if ((query.groupBy ?? []).length === 0) break;
      const cell = published.get(key);
      if (cell?.suppressed) {
        suppressedCells += 1;
        continue;
      }
      cells += 1;
      cellError += Math.abs((cell?.count ?? 0) - count);
    }
  }
  return {
    label,
    referrals: rows.length,
    cells,
    cellMae: cells === 0 ? 0 : cellError / cells,
    suppressedCells,
    totals,
    totalMae: totals === 0 ? 0 : totalError / totals,
  };
}

export function formatUtility(figures: readonly Utility[]): string {
  return [
    '| data | referrals | cells shown | mean absolute error of cells | cells suppressed | totals shown | mean absolute error of totals |',
    '|---|---|---|---|---|---|---|',
    ...figures.map(
      (u) =>
        `| ${u.label} | ${u.referrals} | ${u.cells} | ${u.cellMae.toFixed(2)} | ${u.suppressedCells} | ${u.totals} | ${u.totalMae.toFixed(2)} |`,
    ),
  ].join('\n');
}
