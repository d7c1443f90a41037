/** Summary statistics for repeated measurements and latency samples. Pure functions. */

/** The q-quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  if (q < 0 || q > 1) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low] as number;
  const b = sorted[high] as number;
  // Equal neighbours (two infinite ones among them) need no interpolation: Infinity − Infinity is NaN.
  return a === b ? a : a + (b - a) * (rank - low);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Interquartile range (p75 − p25). */
  readonly iqr: number;
  readonly runs: number;
  readonly values: readonly number[];
}

/** Median, min–max and IQR of repeated runs of one measurement. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, iqr: Number.NaN, runs: 0, values: [] };
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    iqr: quantile(values, 0.75) - quantile(values, 0.25),
    runs: values.length,
    values: [...values],
  };
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** Latency percentiles of one sample set (milliseconds in, milliseconds out). */
export function percentiles(samples: readonly number[]): Percentiles {
  return {
    count: samples.length,
    p50: quantile(samples, 0.5),
    p99: quantile(samples, 0.99),
    p999: quantile(samples, 0.999),
    max: samples.length ? Math.max(...samples) : Number.NaN,
  };
}

/** "1 234 (1 100–1 300)": a median with its min–max, rounded for a table. */
export function formatSpread(value: Spread, digits = 0): string {
  if (value.runs === 0) return 'n/a';
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(digits) : n > 0 ? '∞' : 'n/a');
  return value.runs > 1 ? `${f(value.median)} (${f(value.min)}–${f(value.max)})` : f(value.median);
}

/** Events per second from a count and a duration in milliseconds. */
export const rate = (events: number, millis: number): number => (millis > 0 ? (events * 1000) / millis : 0);

/**
 * Percentiles of a sample set in which `unseen` samples never arrived within the deadline: they
 * count as slower than every seen one (the percentile is Infinity when its rank falls among them),
 * so a lost sample can only make the figure worse, never drop out of it.
 */
export function accountedPercentiles(seen: readonly number[], unseen: number): Percentiles & { readonly unseen: number } {
  const sorted = [...seen].sort((a, b) => a - b);
  const total = sorted.length + unseen;
  const at = (q: number) => {
    if (total === 0) return Number.NaN;
    const rank = q * (total - 1);
    const low = Math.floor(rank);
    const high = Math.ceil(rank);
    if (high >= sorted.length) return Number.POSITIVE_INFINITY;
    const a = sorted[low] as number;
    const b = sorted[high] as number;
    return a === b ? a : a + (b - a) * (rank - low);
  };
  return {
    count: total,
    unseen,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: unseen > 0 ? Number.POSITIVE_INFINITY : sorted.length ? (sorted.at(-1) as number) : Number.NaN,
  };
}
