import { describe, expect, it } from 'vitest';
import { countKey, sumCounts } from './referral-counts.ts';
import type { ReferralCountRow } from './view-model.ts';

const row = (region: ReferralCountRow['region'], population_group: ReferralCountRow['population_group'], referrals = 1): ReferralCountRow => ({
  referring_ministry: 'JUSTICE',
  region,
  service_category: 'HOUSING',
  population_group,
  referrals,
});

describe('sumCounts', () => {
  it('adds rows of the same key and returns them in key order, whatever order they came in', () => {
    const rows = [row('WEST', 'all'), row('EAST', 'indigenous'), row('WEST', 'all', 2), row('EAST', 'all')];

    const summed = sumCounts(rows);
    const reversed = sumCounts([...rows].reverse());

    expect(summed.map((r) => [r.region, r.population_group, r.referrals])).toEqual([
      ['EAST', 'all', 1],
      ['EAST', 'indigenous', 1],
      ['WEST', 'all', 3],
    ]);
    expect(reversed.map(countKey)).toEqual(summed.map(countKey));
  });
});
