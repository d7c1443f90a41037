import type { Knex } from '@passerelle/db';
import {
  AGGREGATE_KEY,
  AGGREGATE_SOURCE_COLUMNS,
  VIEW_TABLE,
  aggregateContributionsSql,
  type ReferralAggregateRow,
} from '@passerelle/coordination-view';
import { quoteIdent } from './record-set.ts';

/**
 * The referral aggregates' upkeep (libs/coordination-view aggregates.ts): every change of referral
 * rows moves their contributions in the same transaction (the old rows' taken out, the new rows'
 * put in), and a recount computes them all from the referrals. Both read the contributions from
 * the same SQL, so that a maintained table and a recount agree row for row.
 */

type Connection = Knex | Knex.Transaction;

const table = (schema: string, name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;
const KEY = AGGREGATE_KEY.join(', ');
const CONFLICT = 'ON CONFLICT ON CONSTRAINT referral_aggregates_key';

/** The referral columns as a record set's column definitions. */
const SOURCE_TYPES: Readonly<Record<(typeof AGGREGATE_SOURCE_COLUMNS)[number], string>> = {
  region: 'text',
  service_category: 'text',
  status: 'text',
  referring_ministry: 'text',
  receiving_ministry: 'text',
  urgency: 'text',
  requested_at: 'timestamptz',
  accepted_at: 'timestamptz',
  completed_at: 'timestamptz',
  declined_at: 'timestamptz',
  withdrawn_at: 'timestamptz',
  record_key: 'bigint',
};
const SOURCE_DEFINITION = AGGREGATE_SOURCE_COLUMNS.map((column) => `${column} ${SOURCE_TYPES[column]}`).join(', ');

async function rowsOf<T>(db: Connection, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  return ((await db.raw(sql, bindings as Knex.RawBinding[])) as { rows: T[] }).rows;
}

/**
 * What the stored rows of these referrals contribute now, as one jsonb text (the columns the
 * contributions read, times at full precision): read before the rows are overwritten, handed
 * back to applyAggregateDelta after.
 */
export async function readAggregateSources(trx: Knex.Transaction, schema: string, referralIds: readonly string[]): Promise<string> {
  const [row] = await rowsOf<{ sources: string }>(
    trx,
    `SELECT coalesce(jsonb_agg(jsonb_build_object(${AGGREGATE_SOURCE_COLUMNS.map((c) => `'${c}', ${c}`).join(', ')})), '[]'::jsonb)::text AS sources
       FROM ${table(schema, VIEW_TABLE.referrals)} WHERE referral_id = ANY(?::uuid[])`,
    [referralIds],
  );
  return row?.sources ?? '[]';
}

/**
 * Moves the aggregates by the difference between the referrals' stored rows now and `before`
 * (readAggregateSources, read earlier in this transaction): one upsert adding the net change of
 * each aggregate row, in key order, so that concurrent transactions lock the rows they share in
 * the same order and never deadlock on them; then rows left with no referral go. The referrals
 * themselves are locked by the caller (lockAggregates), so no other transaction moves them between.
 */
export async function applyAggregateDelta(
  trx: Knex.Transaction,
  schema: string,
  referralIds: readonly string[],
  before: string,
): Promise<void> {
  const aggregates = table(schema, VIEW_TABLE.referral_aggregates);
  const after = aggregateContributionsSql(`(SELECT * FROM ${table(schema, VIEW_TABLE.referrals)} WHERE referral_id = ANY(?::uuid[])) AS r`);
  const prior = aggregateContributionsSql(`jsonb_to_recordset(?::jsonb) AS r(${SOURCE_DEFINITION})`);
  const emptied = await rowsOf<ReferralAggregateRow>(
    trx,
    `INSERT INTO ${aggregates} AS t (${KEY}, referral_count, record_key_sum, unkeyed)
     SELECT ${KEY}, sum(n)::int, sum(k)::bigint, sum(u)::int
       FROM (SELECT ${KEY}, 1 AS n, coalesce(record_key, 0) AS k, (record_key IS NULL)::int AS u FROM (${after}) AS a
             UNION ALL
             SELECT ${KEY}, -1, -coalesce(record_key, 0), -((record_key IS NULL)::int) FROM (${prior}) AS b) AS d
      GROUP BY ${KEY}
     HAVING sum(n) <> 0 OR sum(k) <> 0 OR sum(u) <> 0
      ORDER BY ${KEY}
     ${CONFLICT} DO UPDATE SET referral_count = t.referral_count + excluded.referral_count,
                               record_key_sum = t.record_key_sum + excluded.record_key_sum,
                               unkeyed = t.unkeyed + excluded.unkeyed
     RETURNING t.measure, t.month::text AS month, ${AGGREGATE_KEY.slice(2)
       .map((c) => `t.${c}`)
       .join(', ')}, t.referral_count`,
    [referralIds, before],
  );
  const gone = emptied.filter((row) => Number(row.referral_count) === 0);
  if (gone.length === 0) return;
  await trx.raw(
    `DELETE FROM ${aggregates} AS t
      USING jsonb_to_recordset(?::jsonb) AS z(measure text, month date, region text, service_category text, status text,
                                              referring_ministry text, receiving_ministry text, urgency text, acceptance_week int)
      WHERE ${AGGREGATE_KEY.map((c) => `t.${c} IS NOT DISTINCT FROM z.${c}`).join(' AND ')} AND t.referral_count = 0`,
    [JSON.stringify(gone)],
  );
}

/**
 * Computes a view's aggregates afresh from its referrals, in the caller's transaction: after a
 * bulk write that bypassed the upkeep (a rebuild), or after record keys were rewritten. The
 * caller holds the view's lock exclusively, so no batch moves them meanwhile.
 */
export async function recountAggregates(trx: Connection, schema: string): Promise<number> {
  const aggregates = table(schema, VIEW_TABLE.referral_aggregates);
  await trx.raw(`DELETE FROM ${aggregates}`);
  const result = (await trx.raw(
    `INSERT INTO ${aggregates} (${KEY}, referral_count, record_key_sum, unkeyed)
     SELECT ${KEY}, count(*)::int, coalesce(sum(record_key), 0)::bigint, (count(*) - count(record_key))::int
       FROM (${aggregateContributionsSql(`${table(schema, VIEW_TABLE.referrals)} AS r`)}) AS c
      GROUP BY ${KEY}`,
  )) as { rowCount: number };
  return result.rowCount;
}

/** A view's aggregates in key order, month as `YYYY-MM-DD` and sums as numbers (tests compare them). */
export async function readReferralAggregates(db: Connection, schema: string): Promise<ReferralAggregateRow[]> {
  const rows = await rowsOf<ReferralAggregateRow>(
    db,
    `SELECT measure, month::text AS month, ${AGGREGATE_KEY.slice(2).join(', ')}, referral_count, record_key_sum::text AS record_key_sum, unkeyed
       FROM ${table(schema, VIEW_TABLE.referral_aggregates)} ORDER BY ${KEY}`,
    [],
  );
  return rows.map((row) => ({ ...row, record_key_sum: Number(row.record_key_sum) }));
}

/** What a recount of the view's referrals gives, in the same shape and order, without writing anything. */
export async function countAggregates(db: Connection, schema: string): Promise<ReferralAggregateRow[]> {
  const rows = await rowsOf<ReferralAggregateRow>(
    db,
    `SELECT measure, month::text AS month, ${AGGREGATE_KEY.slice(2).join(', ')}, count(*)::int AS referral_count,
            coalesce(sum(record_key), 0)::text AS record_key_sum, (count(*) - count(record_key))::int AS unkeyed
       FROM (${aggregateContributionsSql(`${table(schema, VIEW_TABLE.referrals)} AS r`)}) AS c
      GROUP BY ${KEY} ORDER BY ${KEY}`,
    [],
  );
  return rows.map((row) => ({ ...row, record_key_sum: Number(row.record_key_sum) }));
}
