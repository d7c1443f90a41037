/**
 * The targets table: each target compares a measurement's runs with a threshold, itself a number
 * or a multiple of another measurement of the same run. Pure functions.
 */
import { formatSpread, spread, type Spread } from './stats.ts';

export interface Target {
  readonly name: string;
  /** The threshold as printed: "≥ 1500 req/s", "≤ 484 (452–517) ms". */
  readonly target: string;
  /** Median (min–max) of the runs, with the unit. */
  readonly measured: string;
  /** Median measured ÷ median threshold. */
  readonly ratio: number;
  /** Null when the threshold or the measurement is missing. */
  readonly met: boolean | null;
}

export interface Threshold {
  /** `atLeast`: higher is better (a rate); `atMost`: lower is better (a latency, a duration). */
  readonly direction: 'atLeast' | 'atMost';
  /** A fixed number, or a reference measurement (its runs) the threshold is `factor` × plus `offset`. */
  readonly reference: number | Spread;
  readonly factor?: number;
  readonly offset?: number;
}

/** The threshold's own range: a fixed number has none; a multiple of a measurement spans its runs. */
export function thresholdRange(threshold: Threshold): Spread {
  const factor = threshold.factor ?? 1;
  const offset = threshold.offset ?? 0;
  const values = typeof threshold.reference === 'number' ? [threshold.reference] : threshold.reference.values;
  return spread(values.map((value) => factor * value + offset));
}

/**
 * Met only when the whole min–max range of the runs clears the whole range of the threshold: the
 * worst run against the strictest threshold. Overlapping ranges are a miss, not a tie won.
 */
export function clears(measured: Spread, threshold: Threshold): boolean | null {
  const bound = thresholdRange(threshold);
  if (measured.runs === 0 || bound.runs === 0 || [measured.min, measured.max, bound.min, bound.max].some(Number.isNaN)) return null;
  return threshold.direction === 'atLeast' ? measured.min >= bound.max : measured.max <= bound.min;
}

/** One row of the targets table. */
export function target(name: string, measured: Spread | undefined, unit: string, threshold: Threshold | undefined, digits = 0): Target {
  const bound = threshold ? thresholdRange(threshold) : undefined;
  const sign = threshold?.direction === 'atMost' ? '≤' : '≥';
  const withUnit = (s: Spread) => `${formatSpread(s, digits)}${unit ? ` ${unit}` : ''}`;
  return {
    name,
    target: bound && bound.runs ? `${sign} ${withUnit(bound)}` : 'n/a (reference not measured)',
    measured: measured && measured.runs ? withUnit(measured) : 'n/a (not measured)',
    ratio: measured && bound ? measured.median / bound.median : Number.NaN,
    met: measured && threshold ? clears(measured, threshold) : null,
  };
}
