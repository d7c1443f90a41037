import type { ReferralCreated } from '@passerelle/schemas/generated';
import { POPULATION_GROUPS, type ReferralCountRow } from './view-model.ts';

/**
 * What one ReferralCreated adds to the de-identified counts: one under `all`, one under each
 * group whose flag is true. Counted per creation event when it is first applied, before any
 * purge, so a withdrawal never lowers a count. Sums are commutative: arrival order is
 * irrelevant. (A second creation event for the same referral, a producer fault flagged as
 * `duplicate_creation`, is counted too.)
 */
export function countsOf(created: Pick<ReferralCreated, 'referringMinistry' | 'region' | 'serviceCategory' | 'populationFlags'>): ReferralCountRow[] {
  const base = { referring_ministry: created.referringMinistry, region: created.region, service_category: created.serviceCategory, referrals: 1 };
  const flags = created.populationFlags as unknown as Record<string, boolean | null>;
  return [
    { ...base, population_group: 'all' },
    ...POPULATION_GROUPS.filter((group) => flags[group.field] === true).map((group) => ({ ...base, population_group: group.column })),
  ];
}

export function countKey(row: Pick<ReferralCountRow, 'referring_ministry' | 'region' | 'service_category' | 'population_group'>): string {
  return `${row.referring_ministry}|${row.region}|${row.service_category}|${row.population_group}`;
}

/**
 * Adds rows with the same key together, in key order: every transaction then locks the count
 * rows it increments in the same order, so concurrent chunks wait for each other instead of
 * deadlocking (a deadlock victim redoes its whole chunk).
 */
export function sumCounts(rows: readonly ReferralCountRow[]): ReferralCountRow[] {
  const sums = new Map<string, ReferralCountRow>();
  for (const row of rows) {
    const key = countKey(row);
    const existing = sums.get(key);
    sums.set(key, existing ? { ...existing, referrals: existing.referrals + row.referrals } : { ...row });
  }
  return [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}
