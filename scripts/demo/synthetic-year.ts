/**
 * A synthetic year of referrals, service gaps and initiative milestones, generated from a seed:
 * the same seed gives the same year, record for record. Nothing here talks to a service; the
 * records are the ministries' facts in canonical terms, and synthetic-year.formats.ts writes each
 * in its ministry's own format. All people are invented: a person is a made-up id, never a name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// By path: scripts depend on no workspace package but contracts, db and infra (both files import types only).
import { seededRandom as prng } from '../../libs/testing/src/random.ts';
import { FINAL_STATUSES, nextStatuses } from '../../services/projector/src/domain/referral-status.machine.ts';

export type Ministry = 'JUSTICE' | 'CHILD_WELFARE' | 'HEALTH' | 'EDUCATION' | 'COORDINATION_OFFICE';
export type ReferringMinistry = Exclude<Ministry, 'COORDINATION_OFFICE'>;
export type Region = 'TORONTO' | 'CENTRAL' | 'EAST' | 'WEST' | 'NORTH_EAST' | 'NORTH_WEST' | 'PROVINCE_WIDE';
export type Status = 'REQUESTED' | 'RECEIVED' | 'ACCEPTED' | 'DECLINED' | 'IN_PROGRESS' | 'ON_HOLD' | 'COMPLETED' | 'WITHDRAWN';
export type ConsentScope = 'STANDARD' | 'AGGREGATE_ONLY' | 'INDIGENOUS_PARTNER_CONTROLLED';
export type Urgency = 'ROUTINE' | 'PRIORITY' | 'URGENT' | 'EMERGENCY';
export type ServiceType =
  | 'COMMUNITY_AGENCY'
  | 'INDIGENOUS_ORGANIZATION'
  | 'CHILDRENS_AID_SOCIETY'
  | 'VICTIM_WITNESS_ASSISTANCE_PROGRAM'
  | 'HEALTH_PROVIDER'
  | 'SCHOOL_BOARD';

export const REGIONS: readonly Region[] = ['TORONTO', 'CENTRAL', 'EAST', 'WEST', 'NORTH_EAST', 'NORTH_WEST', 'PROVINCE_WIDE'];

/** The referral life cycle as the projector applies it: the generator walks only its edges. */
export const NEXT_STATUSES = Object.fromEntries(
  (['REQUESTED', 'RECEIVED', 'ACCEPTED', 'DECLINED', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED', 'WITHDRAWN'] as const).map((status) => [
    status,
    nextStatuses(status),
  ]),
) as Readonly<Record<Status, readonly Status[]>>;

export interface StatusStep {
  readonly status: Exclude<Status, 'REQUESTED'>;
  readonly at: number;
  /** A referral status reason symbol, lower case as the ministries send it (`capacity_full`). */
  readonly reason?: string;
  /** Who reports it: the receiving ministry (by the Passerelle referral id) or the referring one (by its own number). */
  readonly by: 'referring' | 'receiving';
}

export interface SyntheticReferral {
  /** The referring ministry's own number of the referral, unique within the year. */
  readonly number: string;
  /** The invented person: nine digits each ministry writes its own way (an OEN, a health system's Patient id). */
  readonly person: string;
  readonly referring: ReferringMinistry;
  /** Another ministry that receives it and reports its progress, or null (a community agency, an Indigenous organization). */
  readonly receiving: ReferringMinistry | null;
  readonly serviceType: ServiceType;
  /** The ServiceCategory symbol, lower case (`mental_health_and_addictions`). */
  readonly category: string;
  readonly region: Region;
  readonly urgency: Urgency;
  readonly consent: ConsentScope;
  readonly indigenous: boolean;
  readonly youngWoman: boolean;
  readonly requestedAt: number;
  readonly steps: readonly StatusStep[];
  /** When the person withdrew consent (health says so with a cancelled Task, hence a WITHDRAWN step at the same time). */
  readonly consentWithdrawnAt: number | null;
}

export interface SyntheticGap {
  readonly reference: string;
  readonly by: ReferringMinistry;
  readonly region: Region;
  readonly category: string;
  readonly severity: string;
  readonly gapCode: string;
  readonly observedAt: number;
  readonly resolved: { readonly at: number; readonly resolution: string } | null;
}

export interface SyntheticMilestone {
  readonly initiativeId: string;
  readonly lead: Ministry;
  readonly status: 'planned' | 'started' | 'reached' | 'delayed' | 'at_risk';
  readonly recordedAt: number;
  readonly measure: { readonly unit: string; readonly quantity: number } | null;
}

export interface SyntheticYear {
  readonly seed: number;
  readonly year: number;
  /** [start, end) of the year, UTC: every referral is requested inside it. */
  readonly from: number;
  readonly to: number;
  readonly referrals: readonly SyntheticReferral[];
  readonly gaps: readonly SyntheticGap[];
  readonly milestones: readonly SyntheticMilestone[];
}

export interface YearOptions {
  readonly seed?: number;
  readonly referrals?: number;
  /** The calendar year; by default two years before `now`, so that every follow-up lies in the past. */
  readonly year?: number;
  readonly now?: number;
}

const DAY = 86_400_000;

type Weighted<T> = readonly (readonly [T, number])[];

class Dice {
  constructor(private readonly next: () => number) {}
  chance(p: number): boolean {
    return this.next() < p;
  }
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }
  int(min: number, max: number): number {
    return Math.floor(this.between(min, max + 1));
  }
  pick<T>(weights: Weighted<T>): T {
    const total = weights.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.next() * total;
    for (const [value, weight] of weights) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return weights[weights.length - 1]![0];
  }
  /** Days as a log-normal-ish delay: mostly near `typical`, with a long tail. */
  days(typical: number): number {
    return Math.max(0.05, typical * Math.exp(this.between(-1, 1) + (this.chance(0.1) ? this.between(0, 1.2) : 0))) * DAY;
  }
}

const REGION_WEIGHTS: Weighted<Region> = [
  ['TORONTO', 30],
  ['CENTRAL', 22],
  ['WEST', 15],
  ['EAST', 14],
  ['NORTH_EAST', 8],
  ['NORTH_WEST', 7],
  ['PROVINCE_WIDE', 4],
];
const REFERRING_WEIGHTS: Weighted<ReferringMinistry> = [
  ['JUSTICE', 35],
  ['HEALTH', 25],
  ['CHILD_WELFARE', 22],
  ['EDUCATION', 18],
];
/** Fewer referrals in summer and over the holidays (schools closed, courts quieter). */
const MONTH_WEIGHTS = [9, 8, 9, 9, 9, 8, 6, 5, 9, 10, 10, 8];

/** Where each ministry refers people: another ministry's service, or one outside government. */
const DESTINATIONS: Readonly<Record<ReferringMinistry, Weighted<[ServiceType, ReferringMinistry | null]>>> = {
  JUSTICE: [
    [['HEALTH_PROVIDER', 'HEALTH'], 30],
    [['CHILDRENS_AID_SOCIETY', 'CHILD_WELFARE'], 10],
    [['COMMUNITY_AGENCY', null], 45],
    [['INDIGENOUS_ORGANIZATION', null], 15],
  ],
  HEALTH: [
    [['VICTIM_WITNESS_ASSISTANCE_PROGRAM', 'JUSTICE'], 35],
    [['CHILDRENS_AID_SOCIETY', 'CHILD_WELFARE'], 10],
    [['COMMUNITY_AGENCY', null], 40],
    [['INDIGENOUS_ORGANIZATION', null], 15],
  ],
  CHILD_WELFARE: [
    [['HEALTH_PROVIDER', 'HEALTH'], 30],
    [['SCHOOL_BOARD', 'EDUCATION'], 15],
    [['COMMUNITY_AGENCY', null], 40],
    [['INDIGENOUS_ORGANIZATION', null], 15],
  ],
  EDUCATION: [
    [['CHILDRENS_AID_SOCIETY', 'CHILD_WELFARE'], 35],
    [['HEALTH_PROVIDER', 'HEALTH'], 25],
    [['COMMUNITY_AGENCY', null], 30],
    [['INDIGENOUS_ORGANIZATION', null], 10],
  ],
};

/** What each kind of service is asked for. */
const CATEGORIES: Readonly<Record<ServiceType, Weighted<string>>> = {
  HEALTH_PROVIDER: [
    ['mental_health_and_addictions', 60],
    ['trauma_counselling', 40],
  ],
  CHILDRENS_AID_SOCIETY: [['child_protection', 1]],
  VICTIM_WITNESS_ASSISTANCE_PROGRAM: [['legal_and_victim_witness_support', 1]],
  SCHOOL_BOARD: [['education_support', 1]],
  INDIGENOUS_ORGANIZATION: [['indigenous_led_service', 1]],
  COMMUNITY_AGENCY: [
    ['housing', 35],
    ['emergency_travel_and_shelter_funding', 20],
    ['job_and_language_training', 20],
    ['trauma_counselling', 25],
  ],
};

const DECLINE_REASONS: Weighted<string> = [
  ['capacity_full', 40],
  ['not_eligible', 25],
  ['service_not_offered_in_region', 15],
  ['referred_elsewhere', 20],
];
const WITHDRAW_REASONS: Weighted<string> = [
  ['person_declined_service', 40],
  ['person_not_reachable', 35],
  ['person_relocated', 25],
];
const HOLD_REASONS: Weighted<string> = [
  ['awaiting_person', 60],
  ['awaiting_partner', 40],
];

/** A random status path from REQUESTED, its steps timed after `start`, cut off at `horizon`. */
function statusPath(dice: Dice, start: number, urgency: Urgency, receiving: boolean, horizon: number): StatusStep[] {
  const steps: StatusStep[] = [];
  const pace = urgency === 'EMERGENCY' ? 0.3 : urgency === 'URGENT' ? 0.6 : urgency === 'PRIORITY' ? 1 : 1.6;
  let at = start;
  const step = (status: StatusStep['status'], typicalDays: number, reason?: string): boolean => {
    at += dice.days(typicalDays * pace);
    if (at > horizon) return false;
    // A decision is the receiving service's to report; a withdrawal is the referring worker's.
    const by = receiving && status !== 'WITHDRAWN' ? 'receiving' : 'referring';
    steps.push({ status, at: Math.round(at), by, ...(reason ? { reason } : {}) });
    return true;
  };
  if (dice.chance(0.06)) return steps; // never acknowledged
  if (dice.chance(0.65) && !step('RECEIVED', 1)) return steps;
  const decision = dice.pick<'accept' | 'decline' | 'withdraw' | 'wait'>([
    ['accept', 76],
    ['decline', 13],
    ['withdraw', 5],
    ['wait', 6],
  ]);
  if (decision === 'wait') return steps;
  if (decision === 'decline') return (step('DECLINED', 4, dice.pick(DECLINE_REASONS)), steps);
  if (decision === 'withdraw') return (step('WITHDRAWN', 5, dice.pick(WITHDRAW_REASONS)), steps);
  if (!step('ACCEPTED', 5)) return steps;
  if (dice.chance(0.08) && !step('ON_HOLD', 10, dice.pick(HOLD_REASONS))) return steps;
  if (dice.chance(0.1)) return steps; // accepted, waiting to start
  if (!step('IN_PROGRESS', 6)) return steps;
  for (let pauses = 0; pauses < 2 && dice.chance(0.15); pauses++) {
    if (!step('ON_HOLD', 20, dice.pick(HOLD_REASONS))) return steps;
    if (dice.chance(0.2)) return steps; // still on hold
    if (dice.chance(0.25)) return (step('WITHDRAWN', 15, dice.pick(WITHDRAW_REASONS)), steps);
    if (!step('IN_PROGRESS', 14)) return steps;
  }
  const end = dice.pick<'complete' | 'withdraw' | 'ongoing'>([
    ['complete', 72],
    ['withdraw', 8],
    ['ongoing', 20],
  ]);
  if (end === 'complete') step('COMPLETED', 45, 'goals_met');
  else if (end === 'withdraw') step('WITHDRAWN', 30, dice.pick(WITHDRAW_REASONS));
  return steps;
}

/** The referral's status once every step is applied. */
export function finalStatus(referral: Pick<SyntheticReferral, 'steps'>): Status {
  return referral.steps[referral.steps.length - 1]?.status ?? 'REQUESTED';
}

function referral(dice: Dice, index: number, seed: number, from: number, horizon: number): SyntheticReferral {
  const month = dice.pick(MONTH_WEIGHTS.map((w, m) => [m, w] as const));
  const start = new Date(from);
  const monthStart = Date.UTC(start.getUTCFullYear(), month, 1);
  const monthEnd = Date.UTC(start.getUTCFullYear(), month + 1, 1);
  // Office hours, Toronto time (13:00 to 23:00 UTC), on any day of the month.
  const day = monthStart + Math.floor(dice.between(0, (monthEnd - monthStart) / DAY)) * DAY;
  const requestedAt = day + Math.round(dice.between(13, 23) * 3_600_000);
  const referring = dice.pick(REFERRING_WEIGHTS);
  const [serviceType, receiving] = dice.pick(DESTINATIONS[referring]);
  const category = dice.pick(CATEGORIES[serviceType]);
  const region = dice.pick(REGION_WEIGHTS);
  const north = region === 'NORTH_EAST' || region === 'NORTH_WEST';
  const indigenous = serviceType === 'INDIGENOUS_ORGANIZATION' || dice.chance(north ? 0.35 : 0.1);
  const consent = dice.pick<ConsentScope>([
    ['STANDARD', indigenous ? 30 : 78],
    ['AGGREGATE_ONLY', indigenous ? 15 : 20],
    ['INDIGENOUS_PARTNER_CONTROLLED', indigenous ? 55 : 2],
  ]);
  const urgency = dice.pick<Urgency>([
    ['ROUTINE', 40],
    ['PRIORITY', 30],
    ['URGENT', 22],
    ['EMERGENCY', 8],
  ]);
  let steps = statusPath(dice, requestedAt, urgency, receiving !== null, horizon);
  let consentWithdrawnAt: number | null = null;
  if (dice.chance(0.04)) {
    const at = Math.round(requestedAt + dice.days(20));
    if (at <= horizon) {
      consentWithdrawnAt = at;
      if (referring === 'HEALTH') {
        // Health withdraws consent with a cancelled Task: the referral is withdrawn then, if it was still open.
        steps = steps.filter((s) => s.at < at);
        if (FINAL_STATUSES.includes(finalStatus({ steps }))) consentWithdrawnAt = null;
        else steps = [...steps, { status: 'WITHDRAWN', at, reason: 'consent_withdrawn', by: 'referring' }];
      }
    }
  }
  const serial = String(index + 1).padStart(6, '0');
  return {
    number: `SY${new Date(from).getUTCFullYear()}-${seed}-${serial}`,
    person: String(dice.int(100_000_000, 999_999_999)),
    referring,
    receiving,
    serviceType,
    category,
    region,
    urgency,
    consent,
    indigenous,
    youngWoman: dice.chance(0.4),
    requestedAt,
    steps,
    consentWithdrawnAt,
  };
}

const GAP_CATEGORIES: Weighted<string> = [
  ['housing', 30],
  ['mental_health_and_addictions', 20],
  ['trauma_counselling', 15],
  ['indigenous_led_service', 12],
  ['emergency_travel_and_shelter_funding', 10],
  ['job_and_language_training', 8],
  ['legal_and_victim_witness_support', 5],
];
const GAP_CODES: Weighted<string> = [
  ['waitlist_too_long', 30],
  ['no_service_in_region', 20],
  ['capacity_exceeded', 15],
  ['not_culturally_appropriate', 10],
  ['language_not_available', 8],
  ['transportation_barrier', 10],
  ['after_hours_not_covered', 7],
];
const RESOLUTIONS: Weighted<string> = [
  ['service_added', 20],
  ['capacity_increased', 25],
  ['funding_provided', 20],
  ['partnership_established', 20],
  ['referral_pathway_created', 15],
];

function gaps(dice: Dice, seed: number, from: number, to: number, horizon: number): SyntheticGap[] {
  const out: SyntheticGap[] = [];
  for (const region of REGIONS) {
    const north = region === 'NORTH_EAST' || region === 'NORTH_WEST';
    const count = dice.int(north ? 4 : 2, north ? 8 : 5);
    for (let i = 0; i < count; i++) {
      const observedAt = Math.round(dice.between(from, to));
      const resolvedAt = Math.round(observedAt + dice.days(70));
      out.push({
        reference: `SYG${new Date(from).getUTCFullYear()}-${seed}-${region.toLowerCase().replace('_', '')}-${String(i + 1).padStart(2, '0')}`,
        by: dice.pick(REFERRING_WEIGHTS),
        region,
        category: dice.pick(GAP_CATEGORIES),
        severity: dice.pick([
          ['low', 15],
          ['moderate', 40],
          ['high', 30],
          ['critical', 15],
        ]),
        gapCode: dice.pick(GAP_CODES),
        observedAt,
        resolved: dice.chance(north ? 0.4 : 0.6) && resolvedAt <= horizon ? { at: resolvedAt, resolution: dice.pick(RESOLUTIONS) } : null,
      });
    }
  }
  return out;
}

interface CatalogueInitiative {
  readonly id: string;
  readonly leadMinistry: Ministry;
}

/** The initiatives of schemas/catalogue/strategies.json (the one catalogue), with their lead ministries. */
export function catalogueInitiatives(): CatalogueInitiative[] {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas/catalogue/strategies.json');
  const catalogue = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    strategies: { pillars: { initiatives?: CatalogueInitiative[] }[]; initiatives?: CatalogueInitiative[] }[];
  };
  return catalogue.strategies.flatMap((s) => [...(s.initiatives ?? []), ...s.pillars.flatMap((p) => p.initiatives ?? [])]);
}

/** A unit each initiative reports in, and the yearly scale of its figures. */
const MEASURES: Weighted<readonly [string, number]> = (
  [
    ['people_trained', 400],
    ['sessions_delivered', 120],
    ['organizations_funded', 30],
    ['people_served', 900],
    ['communities_engaged', 40],
    ['protocols_adopted', 45],
    ['funds_disbursed_cad', 3_000_000],
  ] as const
).map((measure) => [measure, 1] as const);

function milestones(dice: Dice, from: number, to: number, initiatives: readonly CatalogueInitiative[]): SyntheticMilestone[] {
  const out: SyntheticMilestone[] = [];
  for (const initiative of initiatives) {
    if (dice.chance(0.12)) continue; // a few initiatives report nothing this year
    const [unit, scale] = dice.pick(MEASURES);
    const quarters = dice.int(1, 4);
    let quantity = 0;
    for (let q = 0; q < quarters; q++) {
      const recordedAt = Math.min(to - DAY, from + Math.round(((q + 1) * (to - from)) / 4) - dice.int(1, 20) * DAY);
      const status =
        q === 0
          ? 'started'
          : dice.pick<SyntheticMilestone['status']>([
              ['reached', 60],
              ['delayed', 20],
              ['at_risk', 10],
              ['started', 10],
            ]);
      quantity += Math.round(scale * dice.between(0.1, 0.4));
      out.push({
        initiativeId: initiative.id,
        lead: initiative.leadMinistry,
        status,
        recordedAt,
        measure: dice.chance(0.8) ? { unit, quantity } : null,
      });
    }
  }
  return out;
}

/** The year of `options`, the same for the same seed, size and year. */
export function generateYear(options: YearOptions = {}): SyntheticYear {
  const seed = options.seed ?? 2026;
  const now = options.now ?? Date.now();
  const year = options.year ?? new Date(now).getUTCFullYear() - 2;
  const from = Date.UTC(year, 0, 1);
  const to = Date.UTC(year + 1, 0, 1);
  // Follow-ups continue past the year's end, up to three months, never into the future.
  const horizon = Math.min(to + 90 * DAY, now - DAY);
  if (horizon <= to) throw new RangeError(`the year ${year} is not over yet: choose an earlier one`);
  // One stream per kind of record: referral i, the gaps and the milestones do not depend on how many referrals there are.
  const dice = new Dice(prng(seed));
  const count = options.referrals ?? 3_000;
  const referrals = Array.from({ length: count }, (_, i) => referral(dice, i, seed, from, horizon));
  return {
    seed,
    year,
    from,
    to,
    referrals: referrals.sort((a, b) => a.requestedAt - b.requestedAt || a.number.localeCompare(b.number)),
    gaps: gaps(new Dice(prng(seed ^ 0x5bd1e995)), seed, from, to, horizon),
    milestones: milestones(new Dice(prng(seed ^ 0x27d4eb2f)), from, to, catalogueInitiatives()),
  };
}
