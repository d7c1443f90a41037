import type { Knex } from '@passerelle/db';
import { AGGREGATE_KEY, VIEW_TABLE, aggregateContributionsSql, type ReferralAggregateRow } from '@passerelle/coordination-view';
import { quoteIdent } from './record-set.ts';

/**
 * The referral aggregates (libs/coordination-view aggregates.ts) as the view holds them, and as a
 * recount from its referrals gives them. The view's own triggers keep them (migration
 * 0007_referral_aggregates_upkeep), in the statement's transaction, whoever writes the referrals;
 * a recount repairs a view whose aggregates were written by hand, and tests compare the two.
 */

type Connection = Knex | Knex.Transaction;

const table = (schema: string, name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;
const KEY = AGGREGATE_KEY.join(', ');

async function rowsOf<T>(db: Connection, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  return ((await db.raw(sql, bindings as Knex.RawBinding[])) as { rows: T[] }).rows;
}

/**
 * Computes a view's aggregates afresh from its referrals, in the caller's transaction (which
 * should hold the view's lock exclusively, so that no batch moves them meanwhile). Not needed on
 * any path of the projector: the triggers keep them; a repair, and what tests compare against.
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
