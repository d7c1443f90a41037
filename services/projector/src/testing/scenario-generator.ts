import { topicFor, type EventType, type TopicOwner } from '@passerelle/contracts';
import type { Initiative } from '@passerelle/schemas';
import {
  GAP_SEVERITY_SYMBOLS,
  MEASURE_UNIT_SYMBOLS,
  MILESTONE_STATUS_SYMBOLS,
  RECEIVING_SERVICE_TYPE_SYMBOLS,
  REFERRAL_STATUS_REASON_SYMBOLS,
  REFERRAL_STATUS_SYMBOLS,
  REGION_SYMBOLS,
  SERVICE_CATEGORY_SYMBOLS,
  SERVICE_GAP_CODE_SYMBOLS,
  SERVICE_GAP_RESOLUTION_SYMBOLS,
  CONSENT_SCOPE_SYMBOLS,
  URGENCY_SYMBOLS,
  type Envelope,
  type EventPayloads,
  type PopulationFlags,
  type ReferralStatus,
} from '@passerelle/schemas/generated';
import { nextStatuses } from '../domain/referral-status.machine.ts';
import type { AcceptedEvent } from '../domain/view-model.ts';

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T,
    hex: (length: number) => Array.from({ length }, () => int(0, 15).toString(16)).join(''),
  };
}

export interface Rng {
  next(): number;
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  hex(length: number): string;
}

function uuid(rng: Rng): string {
  const hex = rng.hex(32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[rng.int(0, 3)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const known = <T extends string>(symbols: readonly T[]): T[] => symbols.filter((s) => s !== 'UNKNOWN');
const OWNERS: readonly TopicOwner[] = ['JUSTICE', 'CHILD_WELFARE', 'HEALTH', 'EDUCATION', 'COORDINATION_OFFICE'];
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export interface ScenarioOptions {
  readonly seed: number;
  readonly referrals: number;
  readonly gaps: number;
  readonly milestones: number;
  /** Initiatives a milestone may name (the catalogue's, in practice). */
  readonly initiatives: readonly Initiative[];
  /** Prepended to every topic name (`t1a2b3c4.`), as tests isolate their topics. */
  readonly topicPrefix?: string;
  readonly partitions?: number;
  readonly start?: number;
}

/**
 * A reproducible set of valid events about many referrals, initiatives and gaps, with what
 * makes projection hard: status changes stamped before their creation (clock skew), equal
 * timestamps, illegal transitions, referrals whose creation never arrives, consent
 * withdrawals (some stamped before later status changes), duplicate creations, status changes
 * and withdrawals from ministries that are not parties to the referral (some stamped before its
 * creation) and gap resolutions stamped before their report. Each event sits on its publisher's topic, with
 * a position as Kafka would give it (offsets in generation order per partition).
 */
export function generateScenario(options: ScenarioOptions): AcceptedEvent[] {
  const rng = createRng(options.seed);
  const start = options.start ?? Date.UTC(2025, 0, 1);
  const partitions = options.partitions ?? 3;
  const offsets = new Map<string, number>();
  const events: AcceptedEvent[] = [];

  const emit = <T extends EventType>(
    type: T,
    owner: TopicOwner,
    occurredAt: number,
    key: string,
    body: Omit<EventPayloads[T], 'envelope'>,
  ): AcceptedEvent<T> => {
    const traceId = rng.hex(32);
    const envelope: Envelope = {
      eventId: uuid(rng),
      occurredAt,
      sourceMinistry: owner,
      correlationId: key,
      causationId: null,
      schemaVersion: 1,
      traceparent: `00-${traceId}-${rng.hex(16)}-01`,
      tracestate: null,
      acceptedAt: occurredAt,
    };
    const topic = `${options.topicPrefix ?? ''}${topicFor(owner, type)}`;
    const partition = [...key].reduce((hash, char) => (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0, 7) % partitions;
    const at = `${topic}:${partition}`;
    const offset = offsets.get(at) ?? 0;
    offsets.set(at, offset + 1);
    const event = {
      eventId: envelope.eventId,
      type,
      payload: { envelope, ...body } as unknown as EventPayloads[T],
      occurredAt,
      sourceMinistry: owner,
      position: { topic, partition, offset },
      traceId,
    };
    events.push(event);
    return event;
  };

  const flags = (): PopulationFlags => ({
    indigenous: rng.pick([true, false, null]),
    youngWomen: rng.pick([true, false, null]),
    youthAtRisk: rng.pick([true, false, null]),
    youthInOrLeavingCare: rng.pick([true, null]),
    migrantWorkers: rng.pick([true, false, null]),
    mentalHealthOrAddictions: rng.pick([true, null]),
  });

  for (let r = 0; r < options.referrals; r++) {
    const referralId = uuid(rng);
    const referring = rng.pick(OWNERS);
    const receivingMinistry = rng.chance(0.7) ? rng.pick(OWNERS) : null;
    // The parties write about the referral; the receiving ministry reports its progress when there is one.
    const parties = receivingMinistry && receivingMinistry !== referring ? [referring, receivingMinistry] : [referring];
    const others = OWNERS.filter((owner) => !parties.includes(owner));
    const receiver = receivingMinistry ?? referring;
    const createdAt = start + rng.int(0, 30) * DAY + rng.int(0, 24 * 60) * MINUTE;
    const created = (at: number) =>
      emit('ReferralCreated', referring, at, referralId, {
        referralId,
        subjectPseudonym: rng.hex(64),
        referringMinistry: referring,
        receivingMinistry,
        receivingServiceType: rng.pick(known(RECEIVING_SERVICE_TYPE_SYMBOLS)),
        serviceCategory: rng.pick(known(SERVICE_CATEGORY_SYMBOLS)),
        region: rng.pick(known(REGION_SYMBOLS)),
        urgency: rng.pick(known(URGENCY_SYMBOLS)),
        consentScope: rng.pick(known(CONSENT_SCOPE_SYMBOLS)),
        populationFlags: flags(),
        sealedSubject: null,
      });
    if (!rng.chance(0.08)) created(createdAt);
    if (rng.chance(0.04)) created(createdAt + rng.int(0, 3) * DAY);

    let status: ReferralStatus = 'REQUESTED';
    let at = createdAt;
    const steps = rng.int(0, 5);
    for (let step = 0; step < steps; step++) {
      const choices = nextStatuses(status);
      if (choices.length === 0) break;
      status = rng.pick(choices);
      // Ties and clock skew on purpose: the fold must order them the same way every time.
      at = step === 0 && rng.chance(0.1) ? createdAt - rng.int(1, 90) * 1000 : rng.chance(0.1) ? at : at + rng.int(1, 3 * 24 * 60) * MINUTE;
      emit('ReferralStatusChanged', receiver, at, referralId, {
        referralId,
        status,
        reasonCode: rng.pick(known(REFERRAL_STATUS_REASON_SYMBOLS)),
      });
    }
    if (rng.chance(0.2)) {
      emit('ReferralStatusChanged', rng.pick(parties), createdAt + rng.int(0, 10) * DAY, referralId, {
        referralId,
        status: rng.pick(known(REFERRAL_STATUS_SYMBOLS)),
        reasonCode: rng.pick(known(REFERRAL_STATUS_REASON_SYMBOLS)),
      });
    }
    if (rng.chance(0.2)) emit('ConsentWithdrawn', referring, createdAt + rng.int(0, 10) * DAY, referralId, { referralId });
    // Writes from a ministry that is not a party, some stamped before the creation: never applied.
    if (rng.chance(0.2)) {
      emit('ReferralStatusChanged', rng.pick(others), createdAt + rng.int(-90, 5 * 24 * 60) * MINUTE, referralId, {
        referralId,
        status: rng.pick(['RECEIVED', 'ACCEPTED', 'DECLINED', 'WITHDRAWN'] as const),
        reasonCode: rng.pick(known(REFERRAL_STATUS_REASON_SYMBOLS)),
      });
    }
    if (rng.chance(0.12))
      emit('ConsentWithdrawn', rng.pick(others), createdAt + rng.int(-90, 5 * 24 * 60) * MINUTE, referralId, { referralId });
  }

  for (let g = 0; g < options.gaps; g++) {
    const gapId = uuid(rng);
    const reportedAt = start + rng.int(0, 30) * DAY;
    const report = () =>
      emit('ServiceGapReported', rng.pick(OWNERS), reportedAt + rng.int(0, 60) * MINUTE, gapId, {
        gapId,
        region: rng.pick(known(REGION_SYMBOLS)),
        serviceCategory: rng.pick(known(SERVICE_CATEGORY_SYMBOLS)),
        severity: rng.pick(known(GAP_SEVERITY_SYMBOLS)),
        gapCode: rng.pick(known(SERVICE_GAP_CODE_SYMBOLS)),
        affectedPopulations: flags(),
      });
    report();
    if (rng.chance(0.1)) report();
    if (rng.chance(0.5)) {
      const resolvedAt = rng.chance(0.2) ? reportedAt - rng.int(1, 60) * MINUTE : reportedAt + rng.int(1, 20) * DAY;
      emit('ServiceGapResolved', rng.pick(OWNERS), resolvedAt, gapId, {
        gapId,
        resolution: rng.pick(known(SERVICE_GAP_RESOLUTION_SYMBOLS)),
      });
    }
  }

  const lastTime = new Map<string, number>();
  for (let m = 0; m < options.milestones; m++) {
    const initiative = rng.pick(options.initiatives);
    const previous = lastTime.get(initiative.id);
    const at = previous !== undefined && rng.chance(0.15) ? previous : start + rng.int(0, 365) * DAY;
    lastTime.set(initiative.id, at);
    emit('InitiativeMilestoneRecorded', initiative.leadMinistry, at, initiative.id, {
      initiativeId: initiative.id,
      status: rng.pick(known(MILESTONE_STATUS_SYMBOLS)),
      measure: rng.chance(0.6) ? { unit: rng.pick(known(MEASURE_UNIT_SYMBOLS)), quantity: rng.int(0, 5000) } : null,
    });
  }
  return events;
}

/** Fisher–Yates with the given generator. */
export function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}

/** Copies of some items inserted at random places: redeliveries. */
export function withDuplicates<T>(rng: Rng, items: readonly T[], rate: number): T[] {
  const result = [...items];
  for (const item of items) if (rng.chance(rate)) result.splice(rng.int(0, result.length), 0, item);
  return result;
}

/** Cuts a delivery into batches of random sizes. */
export function randomBatches<T>(rng: Rng, items: readonly T[], maxSize: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length;) {
    const size = rng.int(1, maxSize);
    batches.push(items.slice(i, i + size));
    i += size;
  }
  return batches;
}

/** Occurrence order, the order an ideal single-topic world would deliver in. */
export function inOccurrenceOrder(events: readonly AcceptedEvent[]): AcceptedEvent[] {
  return [...events].sort((a, b) => a.occurredAt - b.occurredAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
}
