/**
 * The referral aggregates (table `referral_aggregates`): what the view API's statistics count,
 * kept in the transaction of every statement that changes the referrals (the view's statement
 * triggers, migration 0007), so that a dashboard query reads aggregate rows, not every referral.
 *
 * One row per measure, UTC month of the measure's date, every dimension the API filters or groups
 * by (region, category, current status, referring and receiving ministry, urgency) and the week
 * of the time from request to acceptance (null when not accepted): how many referrals, the sum of
 * their record keys (not reduced: the cell key is the sum modulo 2^32, taken by the reader) and
 * how many have no record key yet. A referral contributes one row per measure whose date it has.
 *
 * The week is the class a median is published in (disclosure-control.ts rounds a median in days
 * to the nearest multiple of 7, halves up): week k holds durations in [7k - 3.5, 7k + 3.5) days, so
 * a median that is one referral's duration rounds to the week of its bucket.
 *
 * At this grain a month holds nearly as many rows as referrals (measured: 2,779 `made` rows for
 * 3,000 referrals over 18 months, with only 3 regions, 2 categories and 2 urgencies), so reading
 * them is no cheaper than scanning the referrals: the view API does not read them yet.
 */

/** The statistics' measures and the date each reads (view-api's stats-periods.ts names them). */
export const AGGREGATE_MEASURES = ['made', 'accepted', 'closed'] as const;
export type AggregateMeasure = (typeof AGGREGATE_MEASURES)[number];

/** The dimension columns of an aggregate row, in key order (the referrals table's own names). */
export const AGGREGATE_DIMENSIONS = [
  'region',
  'service_category',
  'status',
  'referring_ministry',
  'receiving_ministry',
  'urgency',
] as const;

/** The columns that identify an aggregate row, in the order rows are sorted and locked. */
export const AGGREGATE_KEY = ['measure', 'month', ...AGGREGATE_DIMENSIONS, 'acceptance_week'] as const;

/** One row of `referral_aggregates`, as stored. */
export interface ReferralAggregateRow {
  measure: AggregateMeasure;
  /** The first day of the UTC month of the measure's date, `YYYY-MM-DD`. */
  month: string;
  region: string;
  service_category: string;
  status: string;
  referring_ministry: string;
  receiving_ministry: string | null;
  urgency: string;
  /** Week of the time from request to acceptance (see above); null for a referral not accepted. */
  acceptance_week: number | null;
  referral_count: number;
  /** Sum of the record keys, not reduced. */
  record_key_sum: number;
  /** Referrals without a record key yet (a view being keyed after an upgrade): figures wait for them. */
  unkeyed: number;
}

const WEEK_SECONDS = 7 * 86_400;

/**
 * The date each measure reads, as SQL over a referral row aliased `r`. A referral reaches at most
 * one final status, so `least` of the three final dates is that one's date.
 */
export const AGGREGATE_MEASURE_AT: Readonly<Record<AggregateMeasure, string>> = {
  made: 'r.requested_at',
  accepted: 'r.accepted_at',
  closed: 'least(r.completed_at, r.declined_at, r.withdrawn_at)',
};

/** The acceptance week of a referral row aliased `r` (floor division: negative durations too), null when not accepted. */
export const ACCEPTANCE_WEEK_SQL = `floor((extract(epoch from (r.accepted_at - r.requested_at)) + ${WEEK_SECONDS / 2}) / ${WEEK_SECONDS})::int`;

/** The acceptance week of a duration in days, as ACCEPTANCE_WEEK_SQL computes it. */
export function acceptanceWeekOf(days: number): number {
  return Math.floor((days + 3.5) / 7);
}

/**
 * The contributions of the referral rows of `from` (a FROM item aliased `r`): one row per measure
 * whose date the referral has, with the aggregate key's columns and the referral's record key.
 * The recount's definition; the triggers of migration 0007 hold a literal copy (a migration
 * never changes), and tests hold the two equal.
 */
export function aggregateContributionsSql(from: string): string {
  const measures = AGGREGATE_MEASURES.map((measure) => `('${measure}', ${AGGREGATE_MEASURE_AT[measure]})`).join(', ');
  return `SELECT m.measure, (date_trunc('month', m.at AT TIME ZONE 'UTC'))::date AS month, ${AGGREGATE_DIMENSIONS.map((c) => `r.${c}`).join(', ')},
      CASE WHEN r.accepted_at IS NULL THEN NULL ELSE ${ACCEPTANCE_WEEK_SQL} END AS acceptance_week, r.record_key
    FROM ${from} CROSS JOIN LATERAL (VALUES ${measures}) AS m(measure, at)
   WHERE m.at IS NOT NULL`;
}
