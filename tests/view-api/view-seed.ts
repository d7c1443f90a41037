import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import {
  VIEW_TABLE,
  type ConsentScope,
  type GapSeverity,
  type Ministry,
  type ReferralStatus,
  type Region,
  type ServiceGapStatus,
  type StoredRow,
  type ViewTable,
} from '@passerelle/coordination-view';
import { recordKeyOf } from '@passerelle/projector';
import { RECORD_KEY_SECRET } from './harness.ts';

/** Fixed ids so tests and the dashboard check can name them. */
export const SEED = {
  justiceToChildWelfare: '10000000-0000-4000-8000-000000000001',
  healthToHealth: '10000000-0000-4000-8000-000000000002',
  indigenousControlled: '10000000-0000-4000-8000-000000000003',
  aggregateOnly: '10000000-0000-4000-8000-000000000004',
  gapOpen: '20000000-0000-4000-8000-000000000001',
  gapResolved: '20000000-0000-4000-8000-000000000002',
  gapOpenEast: '20000000-0000-4000-8000-000000000003',
} as const;

const DAY = 86_400_000;
const BASE = Date.parse('2026-03-02T12:00:00.000Z');

interface Seed {
  id?: string;
  region: Region;
  status: Extract<ReferralStatus, 'ACCEPTED' | 'REQUESTED'>;
  acceptDays?: number;
  referring?: Ministry;
  receiving?: Ministry | null;
  consent?: ConsentScope;
  pseudonym?: string;
}

/** Some of a table's columns, named as the view names them (values as the driver takes them). */
type Columns<T extends ViewTable> = Partial<StoredRow<T>>;

/**
 * 23 referrals, hand-countable: TORONTO 12 (7 accepted after 1..7 days, 5 requested), EAST 3
 * requested, WEST 8 accepted after 10 days. By region with threshold 5: TORONTO 12, EAST
 * suppressed (3), WEST suppressed as its complement; median days to acceptance overall: 10.
 */
export function seedReferrals(): Seed[] {
  const seeds: Seed[] = [
    {
      id: SEED.justiceToChildWelfare,
      region: 'TORONTO',
      status: 'ACCEPTED',
      acceptDays: 1,
      referring: 'JUSTICE',
      receiving: 'CHILD_WELFARE',
      pseudonym: 'psn-justice-0001',
    },
    {
      id: SEED.healthToHealth,
      region: 'TORONTO',
      status: 'ACCEPTED',
      acceptDays: 2,
      referring: 'HEALTH',
      receiving: 'HEALTH',
      pseudonym: 'psn-health-0002',
    },
    {
      id: SEED.indigenousControlled,
      region: 'TORONTO',
      status: 'ACCEPTED',
      acceptDays: 3,
      referring: 'JUSTICE',
      receiving: 'HEALTH',
      consent: 'INDIGENOUS_PARTNER_CONTROLLED',
      pseudonym: 'psn-justice-0003',
    },
    {
      id: SEED.aggregateOnly,
      region: 'TORONTO',
      status: 'ACCEPTED',
      acceptDays: 4,
      referring: 'JUSTICE',
      receiving: 'EDUCATION',
      consent: 'AGGREGATE_ONLY',
      pseudonym: 'psn-justice-0004',
    },
  ];
  for (const days of [5, 6, 7]) seeds.push({ region: 'TORONTO', status: 'ACCEPTED', acceptDays: days });
  for (let i = 0; i < 5; i++) seeds.push({ region: 'TORONTO', status: 'REQUESTED' });
  for (let i = 0; i < 3; i++) seeds.push({ region: 'EAST', status: 'REQUESTED' });
  for (let i = 0; i < 8; i++) seeds.push({ region: 'WEST', status: 'ACCEPTED', acceptDays: 10 });
  return seeds;
}

const hex = (n: number) => n.toString(16).padStart(32, '0');

/** Inserts rows the way the projector would leave them (the view's tables and columns from @passerelle/coordination-view). */
export async function seedView(db: Knex, schema: string): Promise<void> {
  const seeds = seedReferrals();
  let n = 0;
  for (const seed of seeds) {
    n += 1;
    const id = seed.id ?? `30000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    const requested = new Date(BASE + n * 60_000);
    const accepted = seed.acceptDays ? new Date(requested.getTime() + seed.acceptDays * DAY) : null;
    const createdEvent = randomUUID();
    const acceptEvent = randomUUID();
    await db
      .withSchema(schema)
      .table(VIEW_TABLE.referrals)
      .insert({
        referral_id: id,
        record_key: recordKeyOf(RECORD_KEY_SECRET, id),
        status: seed.status,
        status_changed_at: accepted ?? requested,
        referring_ministry: seed.referring ?? 'CHILD_WELFARE',
        receiving_ministry: seed.receiving === undefined ? 'HEALTH' : seed.receiving,
        receiving_service_type: 'COMMUNITY_AGENCY',
        service_category: 'HOUSING',
        region: seed.region,
        urgency: 'ROUTINE',
        consent_scope: seed.consent ?? 'STANDARD',
        subject_pseudonym: seed.pseudonym ?? `psn-${n}`,
        created_event_id: createdEvent,
        created_by: seed.referring ?? 'CHILD_WELFARE',
        requested_at: requested,
        accepted_at: accepted,
        applied_events: accepted ? 2 : 1,
        illegal_transitions: 0,
        last_event_id: accepted ? acceptEvent : createdEvent,
        last_event_at: accepted ?? requested,
      } satisfies Columns<'referrals'>);
    const history = [
      {
        event_id: createdEvent,
        event_type: 'ReferralCreated',
        source_ministry: seed.referring ?? 'CHILD_WELFARE',
        occurred_at: requested,
        trace: hex(n),
      },
    ];
    if (accepted)
      history.push({
        event_id: acceptEvent,
        event_type: 'ReferralStatusChanged',
        source_ministry: seed.receiving ?? 'HEALTH',
        occurred_at: accepted,
        trace: hex(1000 + n),
      });
    for (const [offset, hop] of history.entries()) {
      await db
        .withSchema(schema)
        .table(VIEW_TABLE.referral_history)
        .insert({
          event_id: hop.event_id,
          referral_id: id,
          event_type: hop.event_type,
          source_ministry: hop.source_ministry,
          occurred_at: hop.occurred_at,
          source_topic: `${hop.source_ministry.toLowerCase()}.referrals.v1`,
          source_partition: 0,
          source_offset: n * 10 + offset,
          trace_id: hop.trace,
          payload: JSON.stringify({ referralId: id }),
          // The pipeline's hops: accepted 200 ms after the fact, published 250 ms later, applied 1,050 ms after that.
          accepted_at: new Date(hop.occurred_at.getTime() + 200),
          published_at: new Date(hop.occurred_at.getTime() + 450),
          consumed_at: new Date(hop.occurred_at.getTime() + 1500),
        } satisfies Columns<'referral_history'>);
    }
  }
  const gap = (gap_id: string, status: ServiceGapStatus, region: Region, severity: GapSeverity): Columns<'service_gaps'> => ({
    gap_id,
    status,
    region,
    service_category: 'HOUSING',
    severity,
    gap_code: 'WAITLIST_TOO_LONG',
    reported_by: 'HEALTH',
    reported_at: new Date(BASE),
    reported_event_id: randomUUID(),
    ...(status === 'RESOLVED'
      ? { resolution: 'CAPACITY_INCREASED', resolved_by: 'HEALTH', resolved_at: new Date(BASE + DAY), resolved_event_id: randomUUID() }
      : {}),
  });
  await db
    .withSchema(schema)
    .table(VIEW_TABLE.service_gaps)
    .insert([
      gap(SEED.gapOpen, 'OPEN', 'TORONTO', 'HIGH'),
      gap(SEED.gapResolved, 'RESOLVED', 'TORONTO', 'LOW'),
      gap(SEED.gapOpenEast, 'OPEN', 'EAST', 'CRITICAL'),
    ]);
  await db
    .withSchema(schema)
    .table(VIEW_TABLE.dead_letters)
    .insert({
      source_topic: 'health.referrals.v1',
      source_partition: 0,
      source_offset: 42,
      reason_code: 'decode_failed',
      reason: 'unknown magic byte',
      published: true,
    } satisfies Columns<'dead_letters'>);
  const initiative = (await db
    .withSchema(schema)
    .table(VIEW_TABLE.initiatives)
    .select('initiative_id', 'lead_ministry')
    .orderBy('initiative_id')
    .first()) as { initiative_id: string; lead_ministry: Ministry };
  const milestone = randomUUID();
  await db
    .withSchema(schema)
    .table(VIEW_TABLE.initiative_milestones)
    .insert({
      event_id: milestone,
      initiative_id: initiative.initiative_id,
      status: 'STARTED',
      measure_unit: 'PEOPLE_TRAINED',
      measure_quantity: 120,
      source_ministry: initiative.lead_ministry,
      occurred_at: new Date(BASE),
      source_topic: 'x.initiative-milestones.v1',
      source_partition: 0,
      source_offset: 1,
      trace_id: hex(9999),
    } satisfies Columns<'initiative_milestones'>);
  await db
    .withSchema(schema)
    .table(VIEW_TABLE.initiatives)
    .where('initiative_id', initiative.initiative_id)
    .update({
      latest_status: 'STARTED',
      latest_measure_unit: 'PEOPLE_TRAINED',
      latest_measure_quantity: 120,
      latest_occurred_at: new Date(BASE),
      latest_event_id: milestone,
      milestones: 1,
    } satisfies Columns<'initiatives'>);
}
