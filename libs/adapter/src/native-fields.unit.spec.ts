import { describe, expect, it } from 'vitest';
import { ProblemError } from '@passerelle/http';
import { parseNative } from './field-problems.ts';
import { dateOrInstant, instant, isRealCalendarDay } from './native-fields.ts';
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

  it('answers 400 naming the body, not a TypeError, when a lifecycle or resolution record is null, a number or a list', () => {
    for (const schema of [referralStatusChangeSchema('referralNumber'), consentWithdrawalSchema('referralNumber'), serviceGapResolutionSchema]) {
      for (const body of [null, 5, [], 'text']) {
        const problem = problemOf(() => parseNative(schema, body));
        expect(problem?.status).toBe(400);
        expect(problem?.errors.map((e) => e.field)).toContain('body');
      }
    }
  });
});
