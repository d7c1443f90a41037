import { describe, expect, it } from 'vitest';
import { accountedPercentiles, formatSpread, median, percentiles, quantile, rate, spread } from './stats.ts';
import { scheduledAt } from './open-loop.ts';

describe('bench statistics', () => {
  it('takes the median of odd and even counts, whatever the input order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('interpolates percentiles between closest ranks', () => {
    const values = Array.from({ length: 101 }, (_, i) => i); // 0..100
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile(values, 0.25)).toBe(25);
    expect(quantile([10, 20], 0.5)).toBe(15);
    const p = percentiles(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(p.p50).toBeCloseTo(500.5, 6);
    expect(p.p99).toBeCloseTo(990.01, 6);
    expect(p.p999).toBeCloseTo(999.001, 6);
    expect(p.max).toBe(1000);
    expect(p.count).toBe(1000);
  });

  it('reports median, min–max and interquartile range of repeated runs', () => {
    const s = spread([30, 10, 20, 40, 50]);
    expect(s).toMatchObject({ median: 30, min: 10, max: 50, iqr: 20, runs: 5 });
    expect(formatSpread(s)).toBe('30 (10–50)');
  });

  it('reports no value rather than zero for an empty sample', () => {
    expect(Number.isNaN(median([]))).toBe(true);
    expect(spread([]).runs).toBe(0);
    expect(formatSpread(spread([]))).toBe('n/a');
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });

  it('turns a count and milliseconds into events per second', () => {
    expect(rate(5_000, 2_500)).toBe(2_000);
    expect(rate(10, 0)).toBe(0);
  });
});

describe('latency samples that never arrived', () => {
  it('count as slower than every seen sample instead of being dropped', () => {
    const seen = Array.from({ length: 990 }, (_, i) => i + 1);
    const withLost = accountedPercentiles(seen, 10);
    expect(withLost.count).toBe(1_000);
    expect(withLost.unseen).toBe(10);
    expect(withLost.p50).toBeCloseTo(quantile([...seen, ...Array.from({ length: 10 }, () => 1e9)], 0.5), 6);
    expect(withLost.p99).toBe(Number.POSITIVE_INFINITY);
    expect(withLost.max).toBe(Number.POSITIVE_INFINITY);
  });

  it('give the plain percentiles when every sample arrived', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(accountedPercentiles(samples, 0)).toEqual({ ...percentiles(samples), unseen: 0 });
    expect(Number.isNaN(accountedPercentiles([], 0).p99)).toBe(true);
  });
});

describe('open-loop schedule', () => {
  it('is due at fixed intervals from the start, whatever the sends before it took', () => {
    expect(scheduledAt(1_000, 0, 200)).toBe(1_000);
    expect(scheduledAt(1_000, 1, 200)).toBe(1_005);
    expect(scheduledAt(1_000, 400, 200)).toBe(3_000);
  });
});

describe('figures over lost samples', () => {
  it('print an infinite percentile as ∞, not as a number', () => {
    expect(formatSpread(spread([40, Number.POSITIVE_INFINITY, 45]), 1)).toBe('45.0 (40.0–∞)');
    expect(formatSpread(spread([Number.POSITIVE_INFINITY]), 1)).toBe('∞');
    expect(formatSpread(spread([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 10]), 1)).toBe('∞ (10.0–∞)');
  });
});
