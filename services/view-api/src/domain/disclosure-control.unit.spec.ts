import { describe, expect, it } from 'vitest';
import {
  CELL_KEY_MODULUS,
  DEFAULT_DISCLOSURE,
  perturbationOf,
  perturbationTable,
  publishCount,
  publishMedian,
  touchesSmallSlice,
  unsafeDisclosureSettings,
} from './disclosure-control.ts';
import { presentStats } from './presenters.ts';

const settings = DEFAULT_DISCLOSURE;
/** Cell keys spread evenly over [0, 2^32): every position of every row's distribution is hit. */
const evenKeys = (n: number) => Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * CELL_KEY_MODULUS) / n));

describe('the perturbation table', () => {
  it('is a triangular distribution on -D..D for counts of D and more, with variance D(D+2)/6', () => {
    const table = perturbationTable(4);
    const last = table.rows.at(-1);
    expect(last).toMatchObject({ count: 4, andAbove: true });
    expect(last?.perturbations.map((p) => p.value)).toEqual([-4, -3, -2, -1, 0, 1, 2, 3, 4]);
    expect(last?.perturbations.map((p) => p.probability * 25)).toEqual([1, 2, 3, 4, 5, 4, 3, 2, 1].map((w) => expect.closeTo(w, 9)));
    expect(last?.variance).toBeCloseTo((4 * 6) / 6, 9);
  });

  it('never takes a count below zero, and every row is unbiased and sums to one', () => {
    for (const row of perturbationTable(5).rows) {
      expect(Math.min(...row.perturbations.map((p) => p.value))).toBe(-Math.min(row.count, 5));
      expect(row.perturbations.reduce((sum, p) => sum + p.probability, 0)).toBeCloseTo(1, 12);
      expect(row.perturbations.reduce((sum, p) => sum + p.probability * p.value, 0)).toBeCloseTo(0, 12);
    }
  });

  it('the cell key picks perturbations with the published probabilities', () => {
    const keys = evenKeys(25 * 1000);
    const seen = new Map<number, number>();
    for (const key of keys) seen.set(perturbationOf(40, key, 4), (seen.get(perturbationOf(40, key, 4)) ?? 0) + 1);
    for (const p of perturbationTable(4).rows[3]?.perturbations ?? [])
      expect((seen.get(p.value) ?? 0) / keys.length).toBeCloseTo(p.probability, 3);
  });

  it('zero is never perturbed and the lowest and highest cell keys stay in range', () => {
    expect(perturbationOf(0, 123, 4)).toBe(0);
    expect(perturbationOf(50, 0, 4)).toBe(-4);
    expect(perturbationOf(50, CELL_KEY_MODULUS - 1, 4)).toBe(4);
    expect(() => publishCount({ count: 3, cellKey: CELL_KEY_MODULUS }, settings)).toThrow(RangeError);
    expect(() => publishCount({ count: -1, cellKey: 0 }, settings)).toThrow(RangeError);
  });
});

describe('a published count', () => {
  it('is the same for the same count and cell key, whatever asks (no averaging gain)', () => {
    const once = publishCount({ count: 17, cellKey: 987_654_321 }, settings);
    for (let i = 0; i < 100; i += 1) expect(publishCount({ count: 17, cellKey: 987_654_321 }, settings)).toEqual(once);
  });

  it('is never from 1 to the threshold: those are suppressed', () => {
    for (let count = 0; count <= 30; count += 1) {
      for (const cellKey of evenKeys(200)) {
        const published = publishCount({ count, cellKey }, settings);
        if (published.suppressed) expect(published.value).toBeNull();
        else expect(published.value === 0 || (published.value ?? 0) > settings.threshold).toBe(true);
      }
    }
  });

  it('suppresses every small true count, whatever its key: "x" says the same for 1 as for 5', () => {
    for (let count = 1; count <= settings.threshold; count += 1) {
      for (const cellKey of evenKeys(500)) expect(publishCount({ count, cellKey }, settings)).toEqual({ value: null, suppressed: true });
    }
  });

  it('suppresses a count just above the threshold when its perturbation takes it to the threshold or below', () => {
    const outcomes = evenKeys(500).map((cellKey) => publishCount({ count: settings.threshold + 1, cellKey }, settings));
    expect(outcomes.some((o) => o.suppressed)).toBe(true);
    expect(outcomes.some((o) => !o.suppressed && (o.value ?? 0) > settings.threshold)).toBe(true);
  });

  it('is within the maximum perturbation of the truth when shown', () => {
    for (let count = 6; count <= 200; count += 7) {
      for (const cellKey of evenKeys(50)) {
        const { value } = publishCount({ count, cellKey }, settings);
        if (value !== null) expect(Math.abs(value - count)).toBeLessThanOrEqual(settings.maxPerturbation);
      }
    }
  });
});

describe('medians and audit of small slices', () => {
  it('a median is rounded to the nearest week (in days) and shown only behind enough acceptances as published', () => {
    expect(publishMedian(10.4, { count: 200, cellKey: 5 }, settings)).toBe(7);
    expect(publishMedian(10.6, { count: 200, cellKey: 5 }, settings)).toBe(14);
    expect(publishMedian(3.4, { count: 200, cellKey: 5 }, settings)).toBe(0);
    expect(publishMedian(12.6, { count: 3, cellKey: 5 }, settings)).toBeNull();
    expect(publishMedian(null, { count: 200, cellKey: 5 }, settings)).toBeNull();
    // Near the minimum the perturbed count decides, so the gate says nothing exact either.
    const shown = evenKeys(100).filter((cellKey) => publishMedian(3, { count: 10, cellKey }, settings) !== null).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(100);
  });

  it('an aggregate read is a small slice when any true count is from 1 to the audit size', () => {
    expect(touchesSmallSlice([120, 0, 45], settings)).toBe(false);
    expect(touchesSmallSlice([120, 10, 45], settings)).toBe(true);
    expect(touchesSmallSlice([1], settings)).toBe(true);
  });
});

describe('unsafe settings', () => {
  it('names each unsafe setting', () => {
    expect(unsafeDisclosureSettings(DEFAULT_DISCLOSURE)).toEqual([]);
    expect(unsafeDisclosureSettings({ threshold: 3, maxPerturbation: 0, medianMinimum: 4, auditBelow: 1 }).map((p) => p.setting)).toEqual([
      'threshold',
      'maxPerturbation',
      'medianMinimum',
      'auditBelow',
    ]);
  });
});

describe('a published table', () => {
  const row = (region: string, count: number, cellKey: number) => ({
    key: { region },
    count,
    cellKey,
    accepted: 0,
    acceptedKey: 0,
    medianDaysToAcceptance: null,
  });

  it('perturbs the total as a cell of its own, not as the sum of the published cells', () => {
    const rows = [row('EAST', 40, 1_000_000), row('WEST', 3, 2_000_000_000), row('NORTH', 22, 3_000_000_000)];
    const overall = { ...row('', 65, 4_100_000_000), key: {} };
    const table = presentStats(['region'], rows, overall, settings);
    expect(table.total).toBe(65 + perturbationOf(65, 4_100_000_000, settings.maxPerturbation));
    expect(table.cells.map((c) => c.count)).toEqual([
      40 + perturbationOf(40, 1_000_000, settings.maxPerturbation),
      publishCount(rows[1] as never, settings).value,
      22 + perturbationOf(22, 3_000_000_000, settings.maxPerturbation),
    ]);
    expect(table.disclosureControl.explanation.en).toMatch(/at most 6/);
    expect(table.disclosureControl.explanation.fr).toMatch(/d’au plus 6/);
  });
});

describe('a cell published as zero', () => {
  it('is left out of the table, so that it cannot be told from an empty group', () => {
    // Only a wide perturbation takes a count above the threshold down to 0.
    const wide = { ...DEFAULT_DISCLOSURE, maxPerturbation: 8 };
    const cellKey = [...Array(1000).keys()]
      .map((i) => i * 4_000_000)
      .find((key) => publishCount({ count: 6, cellKey: key }, wide).value === 0);
    expect(cellKey).toBeDefined();
    const rows = [{ key: { region: 'EAST' }, count: 6, cellKey: cellKey ?? 0, accepted: 0, acceptedKey: 0, medianDaysToAcceptance: null }];
    const table = presentStats(['region'], rows, { ...rows[0], key: {} } as never, wide);
    expect(table.cells).toEqual([]);
    expect(table.total).toBe(0);
  });
});
