import { describe, expect, it } from 'vitest';
import { ProblemError } from '@passerelle/http';
import { parseNative } from './field-problems.ts';
import { birthDate, dateOrInstant, instant, isRealCalendarDay } from './native-fields.ts';
import { consentWithdrawalSchema, referralStatusChangeSchema } from './common/referral-lifecycle.schema.ts';
import { serviceGapResolutionSchema } from './common/service-gap.schema.ts';

function problemOf(run: () => unknown): ProblemError | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ProblemError) return error;
    throw error;
  }
  return undefined;
}

describe('native dates and whole-record checks', () => {
  it('refuses days the calendar does not have, which Date.parse would roll into the next month', () => {
    expect(isRealCalendarDay('2025-02-30T10:00:00Z')).toBe(false);
    expect(isRealCalendarDay('2025-04-31')).toBe(false);
    expect(isRealCalendarDay('2025-13-01')).toBe(false);
    expect(isRealCalendarDay('2024-02-29')).toBe(true);
    expect(isRealCalendarDay('2025-02-29')).toBe(false);

    expect(instant().safeParse('2025-02-30T10:00:00Z').success).toBe(false);
    expect(instant().safeParse('2025-03-01T24:00:00Z').success).toBe(false);
    expect(instant().safeParse('2025-03-01T23:59:00-05:00').success).toBe(true);
    expect(dateOrInstant().safeParse('2024-02-30').success).toBe(false);
    expect(dateOrInstant().safeParse('2024-02-29').success).toBe(true);
  });

  it('refuses occurrence times outside 1900-01-01 to a day past now, which PostgreSQL would refuse (year 0000) or store as BC', () => {
    const tomorrowAndABit = new Date(Date.now() + 26 * 3_600_000).toISOString();
    const reasons = (schema: ReturnType<typeof instant> | ReturnType<typeof dateOrInstant>, text: string) =>
      schema.safeParse(text).error?.issues.map((i) => i.message);

    for (const text of ['0000-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '1899-12-31T23:59:59Z', '1900-01-01T00:30:00+01:00']) {
      expect(reasons(instant(), text)).toEqual(['is before 1900-01-01, the earliest date accepted']);
      expect(reasons(dateOrInstant(), text)).toEqual(['is before 1900-01-01, the earliest date accepted']);
    }
    for (const text of ['0000-01-01', '1899-12-31'])
      expect(reasons(dateOrInstant(), text)).toEqual(['is before 1900-01-01, the earliest date accepted']);
    for (const text of ['9999-12-31T23:59:59Z', tomorrowAndABit, '2200-01-01T00:00:00Z'])
      expect(reasons(instant(), text)).toEqual(['is in the future']);
    expect(reasons(dateOrInstant(), '9999-12-31')).toEqual(['is in the future']);
    for (const text of ['+275760-09-13T00:00:00Z', '-000001-01-01T00:00:00Z', '275760-09-13T00:00:00Z']) {
      expect(instant().safeParse(text).success).toBe(false);
      expect(dateOrInstant().safeParse(text).success).toBe(false);
    }
    expect(instant().safeParse('1900-01-01T00:00:00Z').success).toBe(true);
    expect(dateOrInstant().safeParse('1900-01-01').success).toBe(true);
  });

  it('refuses birth dates before 1900 or after today', () => {
    for (const text of ['0000-01-01', '0001-01-01', '1899-12-31', '9999-12-31', '2200-01-01']) {
      expect(
        birthDate()
          .safeParse(text)
          .error?.issues.map((i) => i.message),
      ).toEqual(['must be a date from 1900-01-01 to today']);
    }
    expect(birthDate().safeParse('1900-01-01').success).toBe(true);
    expect(birthDate().safeParse(new Date().toISOString().slice(0, 10)).success).toBe(true);
  });

  it('answers 400 naming the body, not a TypeError, when a lifecycle or resolution record is null, a number or a list', () => {
    for (const schema of [
      referralStatusChangeSchema('referralNumber'),
      consentWithdrawalSchema('referralNumber'),
      serviceGapResolutionSchema,
    ]) {
      for (const body of [null, 5, [], 'text']) {
        const problem = problemOf(() => parseNative(schema, body));
        expect(problem?.status).toBe(400);
        expect(problem?.errors.map((e) => e.field)).toContain('body');
      }
    }
  });
});
