import { describe, expect, it } from 'vitest';
import { parsePeriod } from './stats-periods.ts';

const bounds = (text: string) => {
  const parsed = parsePeriod(text);
  return parsed.ok ? [parsed.period.from, parsed.period.to] : parsed.reason;
};

describe('parsePeriod', () => {
  it('reads a month as its UTC month, December running into the next year', () => {
    expect(bounds('2025-03')).toEqual(['2025-03-01T00:00:00.000Z', '2025-04-01T00:00:00.000Z']);
    expect(bounds('2025-12')).toEqual(['2025-12-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
  });

  it('reads a quarter as three calendar months', () => {
    expect(bounds('2025-Q1')).toEqual(['2025-01-01T00:00:00.000Z', '2025-04-01T00:00:00.000Z']);
    expect(bounds('2025-Q4')).toEqual(['2025-10-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
  });

  it('reads an Ontario fiscal year from 1 April to 1 April, the century turning in FY1999-00', () => {
    expect(bounds('FY2025-26')).toEqual(['2025-04-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z']);
    expect(bounds('FY1999-00')).toEqual(['1999-04-01T00:00:00.000Z', '2000-04-01T00:00:00.000Z']);
  });

  it('keeps the name the caller gave', () => {
    expect(parsePeriod('FY2025-26')).toMatchObject({ ok: true, period: { name: 'FY2025-26' } });
  });

  it.each([
    ['2025-13', 'month from 01 to 12'],
    ['2025-00', 'month from 01 to 12'],
    ['2025-Q5', 'quarter from Q1 to Q4'],
    ['2025-Q0', 'quarter from Q1 to Q4'],
    ['FY2025-27', 'second year follows the first'],
    ['FY2025-25', 'second year follows the first'],
    ['0000-01', 'from 1900'],
    ['0099-01', 'from 1900'],
    ['1899-12', 'dates accepted'],
    ['2100-02', 'dates accepted'],
    ['FY2099-00', 'dates accepted'],
    ['2025-3', 'must be YYYY-MM'],
    ['2025-q1', 'must be YYYY-MM'],
    ['fy2025-26', 'must be YYYY-MM'],
    ['FY2025-2026', 'must be YYYY-MM'],
    [' 2025-03', 'must be YYYY-MM'],
    ['2025-03-01', 'must be YYYY-MM'],
    ['', 'must be YYYY-MM'],
  ])('refuses %j, saying why without quoting it', (text, reason) => {
    const parsed = parsePeriod(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.reason).toContain(reason);
      if (text.trim().length > 0) expect(parsed.reason).not.toContain(text.trim());
    }
  });

  it('accepts the edges of the window: the first month of 1900 and the last of 2099', () => {
    expect(bounds('1900-01')).toEqual(['1900-01-01T00:00:00.000Z', '1900-02-01T00:00:00.000Z']);
    expect(bounds('2099-Q4')).toEqual(['2099-10-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z']);
  });
});
