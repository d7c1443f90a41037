import { outsideTimeWindow, timeWindow } from '@passerelle/contracts';

/**
 * Reporting periods and measures of the referral statistics (pure, no I/O).
 *
 * Every period is a whole number of UTC months, like the `from`/`to` bounds: a month
 * (`2025-03`), a calendar quarter (`2025-Q1`) or an Ontario fiscal year (`FY2025-26`,
 * 1 April 2025 to 1 April 2026). UTC and not America/Toronto on purpose: a Toronto month
 * begins four or five hours after the UTC month that `from`/`to` can name, and a reader who
 * could ask for both would get tables that differ by a few hours of referrals.
 */
export const STATS_MEASURES = ['made', 'accepted', 'closed'] as const;
export type StatsMeasure = (typeof STATS_MEASURES)[number];
export const DEFAULT_MEASURE: StatsMeasure = 'made';

/** What each measure counts, for the API's description. */
export const MEASURE_MEANINGS: Readonly<Record<StatsMeasure, string>> = {
  made: 'referrals requested in the period (requested_at)',
  accepted: 'referrals accepted in the period (accepted_at), whatever happened to them afterwards',
  closed: 'referrals that reached a final status (completed, declined or withdrawn) in the period',
};

/** Time dimensions of a grouping: buckets of the measure's own timestamp, named as periods are. */
export const TIME_DIMENSIONS = ['month', 'quarter'] as const;
export type TimeDimension = (typeof TIME_DIMENSIONS)[number];

export interface Period {
  /** As the caller named it, e.g. `FY2025-26`. */
  readonly name: string;
  /** First instant, ISO 8601 UTC. */
  readonly from: string;
  /** First instant after the period. */
  readonly to: string;
}

export type PeriodParse = { readonly ok: true; readonly period: Period } | { readonly ok: false; readonly reason: string };

export const PERIOD_FORMS =
  'YYYY-MM (a month), YYYY-Qn (a calendar quarter, n from 1 to 4) or FYyyyy-yy (an Ontario fiscal year from 1 April, e.g. FY2025-26)';

const MONTH = /^(\d{4})-(\d{2})$/;
const QUARTER = /^(\d{4})-Q(\d)$/;
const FISCAL_YEAR = /^FY(\d{4})-(\d{2})$/;

const { earliest, latest } = timeWindow('query-bound');
const WINDOW = `the dates accepted, from ${new Date(earliest).toISOString().slice(0, 10)} until ${new Date(latest).toISOString().slice(0, 10)}`;

const refuse = (reason: string): PeriodParse => ({ ok: false, reason });

/** A period of whole UTC months, [first month, first month + months). Refused outside the query window. */
function monthsFrom(name: string, year: number, month: number, months: number): PeriodParse {
  const from = Date.UTC(year, month - 1, 1);
  const to = Date.UTC(year, month - 1 + months, 1);
  // Date.UTC maps years 0-99 to 1900-1999: check the year itself before trusting the instant.
  if (year < 1000) return refuse('must name a year from 1900');
  if (outsideTimeWindow('query-bound', from) ?? outsideTimeWindow('query-bound', to)) return refuse(`must lie within ${WINDOW}`);
  return { ok: true, period: { name, from: new Date(from).toISOString(), to: new Date(to).toISOString() } };
}

/** Parses a period strictly; the reason never quotes the value. */
export function parsePeriod(text: string): PeriodParse {
  const month = MONTH.exec(text);
  if (month) {
    const m = Number(month[2]);
    if (m < 1 || m > 12) return refuse('must name a month from 01 to 12');
    return monthsFrom(text, Number(month[1]), m, 1);
  }
  const quarter = QUARTER.exec(text);
  if (quarter) {
    const q = Number(quarter[2]);
    if (q < 1 || q > 4) return refuse('must name a quarter from Q1 to Q4');
    return monthsFrom(text, Number(quarter[1]), 3 * (q - 1) + 1, 3);
  }
  const fiscal = FISCAL_YEAR.exec(text);
  if (fiscal) {
    const first = Number(fiscal[1]);
    if (Number(fiscal[2]) !== (first + 1) % 100)
      return refuse('must name a fiscal year whose second year follows the first, e.g. FY2025-26');
    return monthsFrom(text, first, 4, 12);
  }
  return refuse(`must be ${PERIOD_FORMS}`);
}

/** The [from, to) a validated stats query selects, as the response states it: null bounds are open. */
export function statsPeriodOf(query: { readonly period?: string; readonly from?: string; readonly to?: string }): {
  name: string | null;
  from: string | null;
  to: string | null;
} {
  if (query.period !== undefined) {
    const parsed = parsePeriod(query.period);
    if (!parsed.ok) throw new RangeError('the period reached the route unvalidated');
    return { ...parsed.period };
  }
  const instant = (value: string | undefined) => (value === undefined ? null : new Date(value).toISOString());
  return { name: null, from: instant(query.from), to: instant(query.to) };
}
