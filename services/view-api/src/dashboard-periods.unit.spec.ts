import { describe, expect, it } from 'vitest';

// The dashboard's own modules are plain browser JavaScript (public/, no build step), typed here by hand.
interface Period {
  kind: 'month' | 'quarter' | 'fiscal';
  name: string;
  year: number;
  month: number;
  months: number;
}
interface Choice {
  period: string | null;
  measure: string;
  trend: string;
  region: string | null;
  pillar: string | null;
}
interface Cell {
  key: Record<string, string>;
  count: number | null;
  suppressed: boolean;
}
interface PeriodsModule {
  parsePeriod(name: unknown): Period | null;
  periodBounds(period: Period): { from: string; to: string };
  periodAt(kind: string, ms: number): string;
  periodOptions(kind: string, now?: number): string[];
  bucketsBetween(from: string, to: string, dimension: string): string[];
  seriesOf(
    cells: Cell[],
    dimension: string,
    period: { from: string | null; to: string | null } | null,
  ): Array<{ bucket: string; count: number | null; suppressed: boolean }>;
  readChoice(hash: string): Choice;
  writeChoice(choice: Choice): string;
  statsQuery(choice: Choice, groupBy: string, extra?: Record<string, string | null>): string;
  periodLabel(name: string, lang: string): string;
  bucketLabel(name: string, lang: string): string;
}
const modulePath: string = '../public/periods.js';
const periods = (await import(modulePath)) as PeriodsModule;

const bounds = (name: string) => {
  const period = periods.parsePeriod(name);
  if (!period) throw new Error(`${name} is no period`);
  return periods.periodBounds(period);
};

describe('the dashboard’s periods', () => {
  it('names the same UTC ranges as the view API: a month, a calendar quarter, an Ontario fiscal year from 1 April', () => {
    expect(bounds('2026-03')).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' });
    expect(bounds('2025-Q4')).toEqual({ from: '2025-10-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' });
    expect(bounds('FY2025-26')).toEqual({ from: '2025-04-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z' });
    expect(bounds('FY1999-00')).toEqual({ from: '1999-04-01T00:00:00.000Z', to: '2000-04-01T00:00:00.000Z' });
  });

  it('refuses what names no period', () => {
    for (const name of ['2025-13', '2025-00', '2025-Q5', '2025-Q0', 'FY2025-27', 'FY2025-2026', '2025', '', ' 2025-03', null, 7])
      expect(periods.parsePeriod(name), String(name)).toBeNull();
  });

  it('finds the period holding an instant, the fiscal year turning on 1 April UTC', () => {
    expect(periods.periodAt('fiscal', Date.parse('2026-03-31T23:59:59.999Z'))).toBe('FY2025-26');
    expect(periods.periodAt('fiscal', Date.parse('2026-04-01T00:00:00Z'))).toBe('FY2026-27');
    expect(periods.periodAt('quarter', Date.parse('2025-06-30T23:59:59.999Z'))).toBe('2025-Q2');
    expect(periods.periodAt('quarter', Date.parse('2025-07-01T00:00:00Z'))).toBe('2025-Q3');
    expect(periods.periodAt('month', Date.parse('2026-12-31T23:00:00Z'))).toBe('2026-12');
  });

  it('offers the periods from the strategy’s first year to the current one, the latest first', () => {
    const now = Date.parse('2026-05-10T12:00:00Z');
    expect(periods.periodOptions('all', now)).toEqual([]);
    const months = periods.periodOptions('month', now);
    expect(months.slice(0, 2)).toEqual(['2026-05', '2026-04']);
    expect(months.at(-1)).toBe('2016-01');
    expect(months).toHaveLength(10 * 12 + 5);
    expect(periods.periodOptions('quarter', now).slice(0, 2)).toEqual(['2026-Q2', '2026-Q1']);
    const years = periods.periodOptions('fiscal', now);
    expect(years.slice(0, 2)).toEqual(['FY2026-27', 'FY2025-26']);
    expect(years.at(-1)).toBe('FY2016-17');
    for (const name of [...months, ...years]) expect(periods.parsePeriod(name), name).not.toBeNull();
  });

  it('lists every month or quarter of a range in order', () => {
    expect(periods.bucketsBetween('2025-11-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', 'month')).toEqual([
      '2025-11',
      '2025-12',
      '2026-01',
    ]);
    expect(periods.bucketsBetween('2025-04-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z', 'quarter')).toEqual([
      '2025-Q2',
      '2025-Q3',
      '2025-Q4',
      '2026-Q1',
    ]);
  });
});

describe('the dashboard’s trend series', () => {
  const cell = (month: string, count: number | null): Cell => ({ key: { month }, count, suppressed: count === null });

  it('gives every month of the period, a hidden one as hidden (never 0) and one the API left out as 0', () => {
    const series = periods.seriesOf([cell('2026-03', 23), cell('2026-01', null)], 'month', bounds('2026-Q1'));
    expect(series).toEqual([
      { bucket: '2026-01', count: null, suppressed: true },
      { bucket: '2026-02', count: 0, suppressed: false },
      { bucket: '2026-03', count: 23, suppressed: false },
    ]);
  });

  it('over all time, runs from the first month published to the last', () => {
    const series = periods.seriesOf([cell('2026-01', 9), cell('2025-11', 12)], 'month', { from: null, to: null });
    expect(series.map((s) => [s.bucket, s.count])).toEqual([
      ['2025-11', 12],
      ['2025-12', 0],
      ['2026-01', 9],
    ]);
    expect(periods.seriesOf([], 'month', { from: null, to: null })).toEqual([]);
  });
});

describe('the dashboard’s choice in the address', () => {
  const choice = { period: '2026-Q1', measure: 'accepted', trend: 'quarter', region: 'EAST', pillar: 'S2016-P1' };

  it('reads back what it wrote, and writes nothing for the defaults', () => {
    expect(periods.writeChoice(choice)).toBe('#period=2026-Q1&measure=accepted&trend=quarter&region=EAST&pillar=S2016-P1');
    expect(periods.readChoice(periods.writeChoice(choice))).toEqual(choice);
    const defaults = { period: null, measure: 'made', trend: 'month', region: null, pillar: null };
    expect(periods.writeChoice(defaults)).toBe('');
    expect(periods.readChoice('')).toEqual(defaults);
  });

  it('keeps the default for anything it does not know, whatever a crafted link holds', () => {
    expect(periods.readChoice('#period=2026-Q9&measure=opened&trend=week&region=<b>&pillar=a%20b')).toEqual({
      period: null,
      measure: 'made',
      trend: 'month',
      region: null,
      pillar: null,
    });
  });

  it('asks the view API for the choice’s period and measure, made being the default', () => {
    expect(periods.statsQuery(choice, 'region,status')).toBe('/v1/stats/referrals?groupBy=region%2Cstatus&period=2026-Q1&measure=accepted');
    expect(periods.statsQuery({ ...choice, period: null, measure: 'made' }, 'month')).toBe('/v1/stats/referrals?groupBy=month');
    expect(periods.statsQuery(choice, 'category,status', { region: 'EAST' })).toContain('&region=EAST');
  });
});

describe('the dashboard’s periods in words', () => {
  it('names a period in English and in idiomatic French', () => {
    expect(periods.periodLabel('2026-03', 'en')).toBe('March 2026');
    expect(periods.periodLabel('2026-03', 'fr')).toBe('mars 2026');
    expect(periods.periodLabel('2026-Q1', 'en')).toBe('Q1 2026 (January to March)');
    expect(periods.periodLabel('2026-Q1', 'fr')).toBe('1er trimestre 2026 (janvier à mars)');
    expect(periods.periodLabel('2025-Q3', 'fr')).toBe('3e trimestre 2025 (juillet à septembre)');
    expect(periods.periodLabel('FY2025-26', 'en')).toBe('2025–26 fiscal year (April 2025 to March 2026)');
    expect(periods.periodLabel('FY2025-26', 'fr')).toBe('exercice 2025-2026 (avril 2025 à mars 2026)');
    expect(periods.bucketLabel('2026-Q1', 'fr')).toBe('T1 2026');
  });
});
