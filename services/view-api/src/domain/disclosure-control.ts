/**
 * Disclosure control for every count about people that the API publishes (pure, no I/O).
 *
 * The cell key method (Fraser & Wooton 2005; ABS TableBuilder, ONS 2021 Census flexible tables):
 * every referral carries a fixed record key, a uniform integer in [0, 2^32) derived from its id
 * with a keyed HMAC (stored in the view by the projector, never published). A cell's key is the
 * sum of its records' keys modulo 2^32, computed in SQL beside the count. The published count is
 * the true count plus a perturbation looked up in a table by (count, cell key). The same set of
 * referrals therefore gets the same perturbation whichever query, filter or grouping produced it:
 * repeating a query or recombining queries gains nothing exact.
 *
 * Second line: a true count from 1 to the threshold is never published, and neither is a
 * perturbed count from 1 to the threshold (both suppressed). A perturbed small count would
 * otherwise say something about itself: published as 0 it is most likely 1, published as 9
 * (with D = 4) it can only be 5. Suppressing every small true count makes "x" the same answer
 * for 1 as for 5, so that what a reader learns of a small count comes from differencing alone.
 * Zero stays zero (no record, no key).
 */
export const CELL_KEY_MODULUS = 2 ** 32;

export interface DisclosureSettings {
  /** Published counts from 1 to this are suppressed. At least 5. */
  readonly threshold: number;
  /** Largest perturbation added to or taken from a count. At least 2. */
  readonly maxPerturbation: number;
  /** A median is published only behind at least this many (perturbed) counted records. */
  readonly medianMinimum: number;
  /** An aggregate read with any true count from 1 to this is audited like a person-level read. */
  readonly auditBelow: number;
}

export const DEFAULT_DISCLOSURE: DisclosureSettings = { threshold: 5, maxPerturbation: 6, medianMinimum: 10, auditBelow: 10 };

export const LIMITS = { minThreshold: 5, minPerturbation: 2, maxPerturbation: 20 } as const;

/** The reasons the settings are unsafe, empty when they are not. */
export function unsafeDisclosureSettings(settings: DisclosureSettings): Array<{ setting: keyof DisclosureSettings; reason: string }> {
  const problems: Array<{ setting: keyof DisclosureSettings; reason: string }> = [];
  if (!Number.isInteger(settings.threshold) || settings.threshold < LIMITS.minThreshold) {
    problems.push({
      setting: 'threshold',
      reason: `must be an integer of at least ${LIMITS.minThreshold}: smaller published counts can single a person out`,
    });
  }
  if (
    !Number.isInteger(settings.maxPerturbation) ||
    settings.maxPerturbation < LIMITS.minPerturbation ||
    settings.maxPerturbation > LIMITS.maxPerturbation
  ) {
    problems.push({
      setting: 'maxPerturbation',
      reason: `must be an integer from ${LIMITS.minPerturbation} to ${LIMITS.maxPerturbation}: without perturbation, hidden counts come back by differencing`,
    });
  }
  if (!Number.isInteger(settings.medianMinimum) || settings.medianMinimum < 2 * settings.threshold) {
    problems.push({
      setting: 'medianMinimum',
      reason: 'must be an integer of at least twice the threshold: a median of a few cases is nearly one person’s timeline',
    });
  }
  if (!Number.isInteger(settings.auditBelow) || settings.auditBelow < settings.threshold) {
    problems.push({ setting: 'auditBelow', reason: 'must be an integer of at least the threshold' });
  }
  return problems;
}

export interface Perturbation {
  readonly value: number;
  readonly probability: number;
}

/** One row of the perturbation table: the distribution of the perturbation for one true count. */
export interface PerturbationRow {
  readonly count: number;
  /** True for the last row, which holds for every larger count too. */
  readonly andAbove: boolean;
  readonly perturbations: readonly Perturbation[];
  readonly variance: number;
}

export interface PerturbationTable {
  readonly maxPerturbation: number;
  readonly rows: readonly PerturbationRow[];
}

/**
 * Integer weights of the perturbations for a true count: a triangular distribution on
 * -m..m, m = min(count, maxPerturbation), weight maxPerturbation + 1 - |d|. Symmetric, so every
 * published count is unbiased; never below zero; variance D(D+2)/6 for counts of D and more.
 */
function weightsFor(count: number, maxPerturbation: number): Array<{ value: number; weight: number }> {
  const reach = Math.min(count, maxPerturbation);
  const weights: Array<{ value: number; weight: number }> = [];
  for (let value = -reach; value <= reach; value += 1) weights.push({ value, weight: maxPerturbation + 1 - Math.abs(value) });
  return weights;
}

/** The published perturbation table: nothing in it is secret, only the record keys are. */
export function perturbationTable(maxPerturbation: number): PerturbationTable {
  const rows: PerturbationRow[] = [];
  for (let count = 1; count <= maxPerturbation; count += 1) {
    const weights = weightsFor(count, maxPerturbation);
    const total = weights.reduce((sum, w) => sum + w.weight, 0);
    const perturbations = weights.map((w) => ({ value: w.value, probability: w.weight / total }));
    rows.push({
      count,
      andAbove: count === maxPerturbation,
      perturbations,
      variance: perturbations.reduce((sum, p) => sum + p.probability * p.value ** 2, 0),
    });
  }
  return { maxPerturbation, rows };
}

/** The perturbation for a cell: the cell key, read as a uniform number in [0, 1), picks it from the row's distribution. */
export function perturbationOf(count: number, cellKey: number, maxPerturbation: number): number {
  if (count <= 0) return 0;
  const weights = weightsFor(count, maxPerturbation);
  const total = weights.reduce((sum, w) => sum + w.weight, 0);
  // Integer arithmetic: cellKey < 2^32 and total < 2^9, so the product is exact in a double.
  const position = Math.floor((cellKey * total) / CELL_KEY_MODULUS);
  let reached = 0;
  for (const w of weights) {
    reached += w.weight;
    if (position < reached) return w.value;
  }
  throw new RangeError(`cell key ${cellKey} is outside [0, 2^32)`);
}

/** A count as published: its value, or null when it is suppressed. */
export interface PublishedCount {
  readonly value: number | null;
  readonly suppressed: boolean;
}

/** A true count and its cell key, as SQL returns them. */
export interface KeyedCount {
  readonly count: number;
  readonly cellKey: number;
}

export function publishCount({ count, cellKey }: KeyedCount, settings: DisclosureSettings): PublishedCount {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError('a count must be a non-negative integer');
  if (!Number.isSafeInteger(cellKey) || cellKey < 0 || cellKey >= CELL_KEY_MODULUS)
    throw new RangeError('a cell key must be an integer in [0, 2^32)');
  if (count >= 1 && count <= settings.threshold) return { value: null, suppressed: true };
  const perturbed = count + perturbationOf(count, cellKey, settings.maxPerturbation);
  return perturbed >= 1 && perturbed <= settings.threshold ? { value: null, suppressed: true } : { value: perturbed, suppressed: false };
}

/** Medians are published in whole weeks (as days: 0, 7, 14, …). */
export const MEDIAN_STEP_DAYS = 7;

/**
 * A median (in days) is published rounded to the nearest week, and only when the count behind
 * it, as published, is at least `medianMinimum`. A median is one referral's own duration when
 * the count is odd, and whoever can list most of a group's referrals (with their dates) can
 * corner a hidden one's duration between two known ones: a week's rounding keeps that to the week.
 * The gate uses the perturbed count, so that it says nothing exact either.
 */
export function publishMedian(median: number | null, behind: KeyedCount, settings: DisclosureSettings): number | null {
  if (median === null || !Number.isFinite(median)) return null;
  const published = publishCount(behind, settings);
  return published.value !== null && published.value >= settings.medianMinimum
    ? Math.round(median / MEDIAN_STEP_DAYS) * MEDIAN_STEP_DAYS
    : null;
}

/** Whether an aggregate read touched a small slice (a true count from 1 to `auditBelow`): such reads are audited. */
export function touchesSmallSlice(counts: readonly number[], settings: DisclosureSettings): boolean {
  return counts.some((count) => count >= 1 && count <= settings.auditBelow);
}
