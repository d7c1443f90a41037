import type { Knex } from 'knex';
import { recordKeyOf } from '@passerelle/projector';
import { seededRandom } from '@passerelle/testing';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/**
 * Random small-cell datasets for the attack suite, drawn from one fixed, documented distribution
 * (docs/disclosure-control.md repeats it):
 *
 * - 6 regions; one of them, drawn uniformly, is small (1 to 5 referrals, uniform), the others
 *   hold 6 to 40 referrals each (uniform): the situation of the reproduction;
 * - each referral independently: one of 3 service categories (uniform); requested in one of the
 *   12 months of 2025 (uniform, at a uniform instant inside it); accepted with probability 0.6
 *   after 0 to 30 days (uniform, continuous), else still requested; consent scope STANDARD with
 *   probability 0.8, INDIGENOUS_PARTNER_CONTROLLED 0.1, AGGREGATE_ONLY 0.1;
 * - referral ids are random (from the seed), so record keys are uniform and unknown to the attacker.
 */
export const REGIONS = ['TORONTO', 'CENTRAL', 'EAST', 'WEST', 'NORTH_EAST', 'NORTH_WEST'] as const;
export const CATEGORIES = ['HOUSING', 'TRAUMA_COUNSELLING', 'LEGAL_AND_VICTIM_WITNESS_SUPPORT'] as const;
export const MONTHS = Array.from({ length: 13 }, (_, m) => new Date(Date.UTC(2025, m, 1)).toISOString());
export const SCOPES = { STANDARD: 0.8, INDIGENOUS_PARTNER_CONTROLLED: 0.1, AGGREGATE_ONLY: 0.1 } as const;
const DAY = 86_400_000;

export interface Referral {
  readonly id: string;
  readonly region: string;
  readonly category: string;
  readonly status: 'REQUESTED' | 'ACCEPTED';
  readonly consentScope: keyof typeof SCOPES;
  readonly requestedAt: number;
  readonly acceptedAt: number | null;
}

export const randomSource = seededRandom;

export const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
export const between = (random: () => number, low: number, high: number): number => low + Math.floor(random() * (high - low + 1));

function uuidFrom(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** One referral of a region: month, instant, acceptance, consent scope, id, category, delay, in that order of draws. */
function drawReferral(random: () => number, region: string): Referral {
  const month = between(random, 0, 11);
  const start = Date.parse(MONTHS[month] as string);
  const requestedAt = start + Math.floor(random() * (Date.parse(MONTHS[month + 1] as string) - start));
  const accepted = random() < 0.6;
  const draw = random();
  const id = uuidFrom(random);
  const category = pick(random, CATEGORIES);
  return {
    id,
    region,
    category,
    status: accepted ? 'ACCEPTED' : 'REQUESTED',
    consentScope:
      draw < SCOPES.STANDARD
        ? 'STANDARD'
        : draw < SCOPES.STANDARD + SCOPES.INDIGENOUS_PARTNER_CONTROLLED
          ? 'INDIGENOUS_PARTNER_CONTROLLED'
          : 'AGGREGATE_ONLY',
    requestedAt,
    acceptedAt: accepted ? requestedAt + Math.floor(random() * 30 * DAY) : null,
  };
}

export function drawDataset(random: () => number): Referral[] {
  const referrals: Referral[] = [];
  const small = pick(random, REGIONS);
  for (const region of REGIONS) {
    const size = region === small ? between(random, 1, 5) : between(random, 6, 40);
    for (let i = 0; i < size; i += 1) referrals.push(drawReferral(random, region));
  }
  return referrals;
}

/** Replaces the view's referrals with the dataset, as the projector would store them (record keys included). */
export async function loadDataset(db: Knex, schema: string, referrals: readonly Referral[], recordKeySecret: string): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.withSchema(schema).table(VIEW_TABLE.referrals).delete();
    const rows = referrals.map((r) => ({
      referral_id: r.id,
      status: r.status,
      status_changed_at: new Date(r.acceptedAt ?? r.requestedAt),
      referring_ministry: 'JUSTICE',
      receiving_ministry: 'HEALTH',
      receiving_service_type: 'COMMUNITY_AGENCY',
      service_category: r.category,
      region: r.region,
      urgency: 'ROUTINE',
      consent_scope: r.consentScope,
      subject_pseudonym: null,
      created_event_id: r.id,
      created_by: 'JUSTICE',
      requested_at: new Date(r.requestedAt),
      accepted_at: r.acceptedAt === null ? null : new Date(r.acceptedAt),
      applied_events: r.acceptedAt === null ? 1 : 2,
      illegal_transitions: 0,
      last_event_id: r.id,
      last_event_at: new Date(r.acceptedAt ?? r.requestedAt),
      record_key: recordKeyOf(recordKeySecret, r.id),
    }));
    for (let i = 0; i < rows.length; i += 1000)
      await trx
        .withSchema(schema)
        .table(VIEW_TABLE.referrals)
        .insert(rows.slice(i, i + 1000));
  });
}

/**
 * A large dataset for utility figures: `size` referrals spread over the 6 regions with weights
 * 8:4:3:2:2:1, categories and months uniform, the same acceptance and consent draws as above.
 */
export function drawLargeDataset(random: () => number, size: number): Referral[] {
  const weights = [8, 4, 3, 2, 2, 1];
  const total = weights.reduce((a, b) => a + b, 0);
  const referrals: Referral[] = [];
  for (let i = 0; i < size; i += 1) {
    let draw = random() * total;
    const regionIndex = weights.findIndex((w) => (draw -= w) < 0);
    referrals.push(drawReferral(random, REGIONS[regionIndex === -1 ? 0 : regionIndex] as string));
  }
  return referrals;
}
