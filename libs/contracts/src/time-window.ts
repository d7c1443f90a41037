/**
 * The instants Passerelle accepts, in one place. PostgreSQL refuses year 0000 (22008) and reads
 * far years and BC dates in ways nobody means; no ministry record predates 1900. Adapters check
 * every time a record carries against these windows and the view API every query bound, so an
 * implausible date is a 400 naming the field, never a 500 or a row dated 1 BC.
 */
const DAY_MS = 24 * 60 * 60 * 1000;

/** 1900-01-01T00:00:00Z: nothing a record or a query names may be earlier. */
export const EARLIEST_PLAUSIBLE_MS = Date.UTC(1900, 0, 1);

/**
 * When something happened (a referral made, a status changed, a gap observed, a milestone
 * recorded): from EARLIEST_PLAUSIBLE_MS to one day past the receiving clock (clock skew between
 * systems, and time zones of date-only values).
 */
export const OCCURRENCE_FUTURE_TOLERANCE_MS = DAY_MS;

/** A birth date (read and dropped by the adapters): from 1900-01-01 to the end of today UTC plus the same tolerance. */
export const BIRTH_DATE_FUTURE_TOLERANCE_MS = DAY_MS;

/**
 * A query bound of the view API (`from`, `to`): from 1900-01-01 up to 2100-01-01, fixed so
 * that a query can name the end of a reporting period ahead of today and the answer's message
 * stays the same from day to day.
 */
export const LATEST_QUERY_BOUND_MS = Date.UTC(2100, 0, 1);

export type TimeWindowKind = 'occurrence' | 'birth-date' | 'query-bound';

/** The window of one kind at `now`: [earliest, latest], both inclusive, in milliseconds since the epoch. */
export function timeWindow(kind: TimeWindowKind, now: number = Date.now()): { readonly earliest: number; readonly latest: number } {
  switch (kind) {
    case 'occurrence':
      return { earliest: EARLIEST_PLAUSIBLE_MS, latest: now + OCCURRENCE_FUTURE_TOLERANCE_MS };
    case 'birth-date':
      return { earliest: EARLIEST_PLAUSIBLE_MS, latest: now + BIRTH_DATE_FUTURE_TOLERANCE_MS };
    case 'query-bound':
      return { earliest: EARLIEST_PLAUSIBLE_MS, latest: LATEST_QUERY_BOUND_MS };
  }
}

/** Undefined when `ms` lies in the window of `kind`, else the reason to give for the field (quoting no value). */
export function outsideTimeWindow(kind: TimeWindowKind, ms: number, now: number = Date.now()): string | undefined {
  const { earliest, latest } = timeWindow(kind, now);
  if (!Number.isFinite(ms)) return 'is not a real date and time';
  if (ms < earliest) return `is before ${new Date(earliest).toISOString().slice(0, 10)}, the earliest date accepted`;
  if (ms <= latest) return undefined;
  return kind === 'query-bound' ? `is after ${new Date(latest).toISOString().slice(0, 10)}, the latest date accepted` : 'is in the future';
}
