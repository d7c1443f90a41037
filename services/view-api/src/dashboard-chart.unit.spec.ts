import { describe, expect, it } from 'vitest';

// The dashboard's own modules are plain browser JavaScript (public/, no build step), typed here by hand.
interface Bar {
  x: number;
  width: number;
  y: number;
  height: number;
  centre: number;
  baseline: number;
  suppressed: boolean;
}
interface ChartModule {
  barGeometry(values: Array<number | null>, box?: { width?: number; height?: number; gap?: number; top?: number; bottom?: number }): Bar[];
}
interface DurationsModule {
  durationParts(ms: number): Array<{ unit: string; value: number }>;
  businessTime(ms: number, locale: string): string;
  latency(ms: number, locale: string): string;
}
const chartPath: string = '../public/chart.js';
const durationsPath: string = '../public/durations.js';
const { barGeometry } = (await import(chartPath)) as ChartModule;
const { durationParts, businessTime, latency } = (await import(durationsPath)) as DurationsModule;

describe('the trend’s bar geometry', () => {
  const box = { width: 300, height: 140, gap: 6, top: 20, bottom: 20 };

  it('gives each value a slot of its own, the largest bar the full plot height, and all bars one baseline', () => {
    const bars = barGeometry([50, 100, 25], box);
    expect(bars.map((b) => b.x)).toEqual([3, 103, 203]);
    expect(bars.map((b) => b.width)).toEqual([94, 94, 94]);
    expect(bars.map((b) => b.height)).toEqual([50, 100, 25]);
    expect(bars.map((b) => b.y + b.height)).toEqual([120, 120, 120]);
    expect(bars.map((b) => b.centre)).toEqual([50, 150, 250]);
    expect(bars.every((b) => b.baseline === 120)).toBe(true);
  });

  it('draws no bar for a hidden value, marks it as such, and scales the others without it', () => {
    const bars = barGeometry([null, 40, 0], box);
    expect(bars[0]).toMatchObject({ height: 0, y: 120, suppressed: true });
    expect(bars[1]).toMatchObject({ height: 100, y: 20, suppressed: false });
    expect(bars[2]).toMatchObject({ height: 0, suppressed: false });
  });

  it('keeps bars inside the box however many there are, and draws nothing taller than it when all are hidden', () => {
    const many = barGeometry(
      Array.from({ length: 120 }, (_, i) => i),
      box,
    );
    for (const bar of many) {
      expect(bar.x).toBeGreaterThanOrEqual(0);
      expect(bar.x + bar.width).toBeLessThanOrEqual(300.01);
      expect(bar.y).toBeGreaterThanOrEqual(20);
    }
    expect(barGeometry([null, null], box).every((b) => b.height === 0)).toBe(true);
    expect(barGeometry([], box)).toEqual([]);
  });
});

describe('the flow’s durations', () => {
  it('keeps the two largest neighbouring units of business time', () => {
    expect(durationParts(93_780_000)).toEqual([
      { unit: 'day', value: 1 },
      { unit: 'hour', value: 2 },
    ]);
    expect(durationParts(66_900_000)).toEqual([
      { unit: 'hour', value: 18 },
      { unit: 'minute', value: 35 },
    ]);
    // A day and five minutes: the hours between would be hidden, so the day alone.
    expect(durationParts(86_700_000)).toEqual([{ unit: 'day', value: 1 }]);
    expect(durationParts(0)).toEqual([{ unit: 'second', value: 0 }]);
  });

  it('writes business time in words and pipeline latency in ms or s, in each language', () => {
    expect(businessTime(93_780_000, 'en-CA')).toBe('1 day, 2 hours');
    // French keeps the number and its unit together (a no-break space).
    expect(businessTime(66_900_000, 'fr-CA').replace(/\s/g, ' ')).toBe('18 heures et 35 minutes');
    expect(latency(250, 'en-CA')).toBe('250\u00a0ms');
    expect(latency(3_000, 'en-CA')).toBe('3,000\u00a0ms');
    expect(latency(12_345, 'fr-CA')).toBe('12,3\u00a0s');
  });
});
