import { z } from 'zod';
import { outsideTimeWindow, type TimeWindowKind } from '@passerelle/contracts';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Refuses a time outside the plausible window of its kind (@passerelle/contracts, time-window.ts):
 * before 1900, or for an occurrence more than a day past the adapter's clock.
 */
export function withinTimeWindow(kind: TimeWindowKind) {
  return (ms: number, ctx: z.core.$RefinementCtx<number>): void => {
    const reason = outsideTimeWindow(kind, ms);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: reason });
  };
}

/**
 * True when the text's leading YYYY-MM-DD names a day the calendar has. Date.parse rolls
 * 2025-02-30 over to 2 March instead of refusing it, so the day is checked on its own.
 */
export function isRealCalendarDay(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (!match) return true;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Hours past 23 are refused too (Date.parse reads 24:00 as the next midnight). */
function isRealTimeOfDay(text: string): boolean {
  const hour = /T(\d{2}):/.exec(text)?.[1];
  return hour === undefined || Number(hour) <= 23;
}

/** An ISO 8601 date-time with its offset, as milliseconds since the epoch. */
export function instant() {
  return z
    .string()
    .regex(ISO_INSTANT, { error: 'must be an ISO 8601 date-time with an offset, such as 2025-03-01T09:30:00-05:00' })
    .refine((text) => isRealCalendarDay(text) && isRealTimeOfDay(text), { error: 'is not a real date and time' })
    .transform((text) => Date.parse(text))
    .refine((ms) => Number.isFinite(ms), { error: 'is not a real date and time' })
    .superRefine(withinTimeWindow('occurrence'));
}

/**
 * An ISO 8601 date-time with offset, or a calendar date (read as midnight UTC, since exports
 * of some systems carry dates only).
 */
export function dateOrInstant() {
  return z
    .string()
    .regex(new RegExp(`${ISO_INSTANT.source}|${ISO_DATE.source}`), {
      error: 'must be an ISO 8601 date (2025-03-01) or date-time with an offset',
    })
    .refine((text) => isRealCalendarDay(text) && isRealTimeOfDay(text), { error: 'is not a real date' })
    .transform((text) => Date.parse(ISO_DATE.test(text) ? `${text}T00:00:00Z` : text))
    .refine((ms) => Number.isFinite(ms), { error: 'is not a real date' })
    .superRefine(withinTimeWindow('occurrence'));
}

/** A calendar date of birth (YYYY-MM-DD), read and dropped: a real day from 1900-01-01 to today. */
export function birthDate(example = '2009-06-30') {
  return z
    .string()
    .regex(ISO_DATE, { error: `must be an ISO 8601 date such as ${example}` })
    .refine(isRealCalendarDay, { error: 'is not a real date' })
    .refine((text) => outsideTimeWindow('birth-date', Date.parse(`${text}T00:00:00Z`)) === undefined, {
      error: 'must be a date from 1900-01-01 to today',
    });
}

/** A ministry's own identifier of a record or person: hashed or pseudonymised, never forwarded. */
export function sourceId() {
  return z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, { error: 'must be letters, digits and . _ : / - only' });
}

/** A Passerelle referral or gap id that another ministry shared with this one. */
export function passerelleId() {
  return z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: 'must be a lower-case UUID' });
}

/**
 * A native code given in lower snake case for each symbol of a canonical enum except UNKNOWN
 * (a sender that does not know leaves the field out).
 */
export function lowerCodeOf<S extends string>(symbols: readonly S[]) {
  const codes = symbols.filter((symbol) => symbol !== 'UNKNOWN').map((symbol) => symbol.toLowerCase()) as [string, ...string[]];
  return z.enum(codes).transform((code) => code.toUpperCase() as Exclude<S, 'UNKNOWN'>);
}

/** Free text a native system sends along (names, notes): accepted so the record is, then dropped. */
export function droppedText(max = 4000) {
  return z.string().max(max).optional();
}

/** A three-state at-risk flag: true, false, or null/absent for "not recorded". */
export const optionalFlag = z.boolean().nullable().optional();

/** "true"/"false"/"yes"/"no"/"" in a CSV cell. */
export const csvFlag = z
  .string()
  .transform((cell) => cell.toLowerCase())
  .pipe(z.enum(['true', 'false', 'yes', 'no', 'y', 'n', '1', '0'], { error: 'must be true or false (or yes/no, 1/0)' }))
  .transform((cell) => ['true', 'yes', 'y', '1'].includes(cell))
  .optional();
