import type {
  ConsentScope,
  EventPayloads,
  GapSeverity,
  MeasureUnit,
  MilestoneStatus,
  Ministry,
  ReceivingServiceType,
  ReferralStatus,
  ReferralStatusReason,
  Region,
  ServiceCategory,
  ServiceGapCode,
  ServiceGapResolution,
  Urgency,
} from '@passerelle/schemas/generated';
import type { EventType } from '@passerelle/contracts';

/**
 * The coordination view as plain rows, column for column what the PostgreSQL tables hold.
 * Times are epoch milliseconds here and timestamptz in the database. The pure projection
 * produces these rows; the repositories store and read them; tests compare them.
 */

/** Where a message was read: together with the eventId, what history rows keep of Kafka. */
export interface SourcePosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** A decoded event that passed every check, ready to be applied. */
export interface AcceptedEvent<T extends EventType = EventType> {
  readonly eventId: string;
  readonly type: T;
  readonly payload: EventPayloads[T];
  readonly occurredAt: number;
  readonly sourceMinistry: Ministry;
  readonly position: SourcePosition;
  /** W3C trace id (32 hex) of the trace the event belongs to, when it carried one. */
  readonly traceId: string | null;
}

/** The at-risk groups of the strategy, as payload field and column name. */
export const POPULATION_GROUPS = [
  { field: 'indigenous', column: 'indigenous' },
  { field: 'youngWomen', column: 'young_women' },
  { field: 'youthAtRisk', column: 'youth_at_risk' },
  { field: 'youthInOrLeavingCare', column: 'youth_in_or_leaving_care' },
  { field: 'migrantWorkers', column: 'migrant_workers' },
  { field: 'mentalHealthOrAddictions', column: 'mental_health_or_addictions' },
] as const;

export type PopulationColumn = (typeof POPULATION_GROUPS)[number]['column'];
export type PopulationColumns = { [C in PopulationColumn]: boolean | null };
export type AffectedPopulationColumns = { [C in PopulationColumn as `affects_${C}`]: boolean | null };

export interface ReferralRow extends PopulationColumns {
  referral_id: string;
  /**
   * The referral's fixed record key (record-key.ts): a uniform uint32 from its id and the
   * record-key secret, summed into the cell key of every count it is part of. Kept through a
   * consent withdrawal (the referral stays in the counts); never published.
   */
  record_key: number;
  status: ReferralStatus;
  status_reason: ReferralStatusReason | null;
  status_changed_at: number;
  referring_ministry: Ministry;
  receiving_ministry: Ministry | null;
  receiving_service_type: ReceivingServiceType;
  service_category: ServiceCategory;
  region: Region;
  urgency: Urgency;
  consent_scope: ConsentScope;
  /** Null once consent is withdrawn. */
  subject_pseudonym: string | null;
  created_event_id: string;
  created_by: Ministry;
  requested_at: number;
  received_at: number | null;
  accepted_at: number | null;
  declined_at: number | null;
  in_progress_at: number | null;
  on_hold_at: number | null;
  completed_at: number | null;
  withdrawn_at: number | null;
  consent_withdrawn_at: number | null;
  applied_events: number;
  illegal_transitions: number;
  last_event_id: string;
  last_event_at: number;
}

/** Every referral event applied, with the body it carried (person-level fields stripped on withdrawal). */
export interface ReferralHistoryRow {
  event_id: string;
  referral_id: string;
  event_type: 'ReferralCreated' | 'ReferralStatusChanged' | 'ConsentWithdrawn';
  source_ministry: Ministry;
  occurred_at: number;
  source_topic: string;
  source_partition: number;
  source_offset: number;
  trace_id: string | null;
  payload: Record<string, unknown>;
  /** Wall-clock time the projector stored it (bookkeeping: differs between a live view and its rebuild). */
  consumed_at: number;
}

export interface IllegalTransitionRow {
  event_id: string;
  referral_id: string;
  event_type: ReferralHistoryRow['event_type'];
  from_status: ReferralStatus | null;
  to_status: ReferralStatus | null;
  reason_code: IllegalTransitionCode;
  reason: string;
  occurred_at: number;
  source_ministry: Ministry;
}

/** Why the fold refused a referral event; `not_a_party`: its source is neither the referring nor the receiving ministry. */
export type IllegalTransitionCode = 'not_allowed' | 'already_in_status' | 'from_final_status' | 'duplicate_creation' | 'not_a_party';

/** One per ConsentWithdrawn event: what was removed and when, never the removed values. */
export interface ConsentPurgeRow {
  event_id: string;
  referral_id: string;
  withdrawn_at: number;
  source_ministry: Ministry;
  removed_columns: string[];
  /** Wall clock (bookkeeping). */
  purged_at: number;
}

export interface InitiativeRow {
  initiative_id: string;
  strategy_id: string;
  pillar_id: string;
  pillar_title_en: string;
  pillar_title_fr: string;
  lead_ministry: Ministry;
  title_en: string;
  title_fr: string;
  latest_status: MilestoneStatus | null;
  latest_measure_unit: MeasureUnit | null;
  latest_measure_quantity: number | null;
  latest_occurred_at: number | null;
  latest_event_id: string | null;
  milestones: number;
}

export type InitiativeProgress = Pick<
  InitiativeRow,
  'initiative_id' | 'latest_status' | 'latest_measure_unit' | 'latest_measure_quantity' | 'latest_occurred_at' | 'latest_event_id' | 'milestones'
>;

export interface MilestoneRow {
  event_id: string;
  initiative_id: string;
  status: MilestoneStatus;
  measure_unit: MeasureUnit | null;
  measure_quantity: number | null;
  source_ministry: Ministry;
  occurred_at: number;
  source_topic: string;
  source_partition: number;
  source_offset: number;
  trace_id: string | null;
  consumed_at: number;
}

export interface ServiceGapRow extends AffectedPopulationColumns {
  gap_id: string;
  status: 'OPEN' | 'RESOLVED';
  region: Region;
  service_category: ServiceCategory;
  severity: GapSeverity;
  gap_code: ServiceGapCode;
  reported_by: Ministry;
  reported_at: number;
  reported_event_id: string;
  resolution: ServiceGapResolution | null;
  resolved_by: Ministry | null;
  resolved_at: number | null;
  resolved_event_id: string | null;
}

export interface ServiceGapEventRow {
  event_id: string;
  gap_id: string;
  event_type: 'ServiceGapReported' | 'ServiceGapResolved';
  source_ministry: Ministry;
  occurred_at: number;
  source_topic: string;
  source_partition: number;
  source_offset: number;
  trace_id: string | null;
  payload: Record<string, unknown>;
  consumed_at: number;
}

export interface ProcessedEventRow {
  event_id: string;
  event_type: EventType;
  source_topic: string;
  source_partition: number;
  source_offset: number;
  /** Wall clock (bookkeeping). */
  processed_at: number;
}

export interface DeadLetterRow {
  source_topic: string;
  source_partition: number;
  source_offset: number;
  reason_code: string;
  reason: string;
  event_id: string | null;
  event_type: string | null;
  /** Whether this consumer published it to the dead-letter topic (a rebuild only records). Bookkeeping. */
  published: boolean;
  /** Wall clock (bookkeeping). */
  dead_lettered_at: number;
}

/** Every table of the view, rows sorted by key: what tests and the rebuild compare. */
export interface ViewSnapshot {
  referrals: ReferralRow[];
  referral_history: ReferralHistoryRow[];
  illegal_transitions: IllegalTransitionRow[];
  consent_purges: ConsentPurgeRow[];
  initiatives: InitiativeRow[];
  initiative_milestones: MilestoneRow[];
  service_gaps: ServiceGapRow[];
  service_gap_events: ServiceGapEventRow[];
  processed_events: ProcessedEventRow[];
  dead_letters: DeadLetterRow[];
}

export type ViewTable = keyof ViewSnapshot;

export const VIEW_TABLES: readonly ViewTable[] = [
  'referrals',
  'referral_history',
  'illegal_transitions',
  'consent_purges',
  'initiatives',
  'initiative_milestones',
  'service_gaps',
  'service_gap_events',
  'processed_events',
  'dead_letters',
];

/** Sort keys: rows compare in this order whatever order they were written in. */
export const TABLE_KEYS: Readonly<Record<ViewTable, readonly string[]>> = {
  referrals: ['referral_id'],
  referral_history: ['event_id'],
  illegal_transitions: ['event_id'],
  consent_purges: ['event_id'],
  initiatives: ['initiative_id'],
  initiative_milestones: ['event_id'],
  service_gaps: ['gap_id'],
  service_gap_events: ['event_id'],
  processed_events: ['event_id'],
  dead_letters: ['source_topic', 'source_partition', 'source_offset'],
};

/**
 * Columns that record when this projector did something, not what happened: they differ
 * between a live view and its rebuild, and are left out of every comparison.
 */
export const BOOKKEEPING_COLUMNS: Readonly<Partial<Record<ViewTable, readonly string[]>>> = {
  referral_history: ['consumed_at'],
  initiative_milestones: ['consumed_at'],
  service_gap_events: ['consumed_at'],
  processed_events: ['processed_at'],
  consent_purges: ['purged_at'],
  dead_letters: ['dead_lettered_at', 'published'],
};

/** Kafka positions: identical for a rebuild of the same topics, unknown to a model built without Kafka. */
export const POSITION_COLUMNS = ['source_topic', 'source_partition', 'source_offset'] as const;

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

export function sortRows<T extends object>(table: ViewTable, rows: readonly T[]): T[] {
  const keys = TABLE_KEYS[table];
  return [...rows].sort((x, y) => {
    for (const key of keys) {
      const order = compareValues((x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key]);
      if (order !== 0) return order;
    }
    return 0;
  });
}

/**
 * The snapshot without bookkeeping columns (and, with `withoutPositions`, without Kafka
 * positions): two views of the same events are equal under this projection.
 */
export function comparable(snapshot: ViewSnapshot, options: { withoutPositions?: boolean; tables?: readonly ViewTable[] } = {}): Record<string, Record<string, unknown>[]> {
  const result: Record<string, Record<string, unknown>[]> = {};
  for (const table of options.tables ?? VIEW_TABLES) {
    const dropped = new Set<string>([...(BOOKKEEPING_COLUMNS[table] ?? []), ...(options.withoutPositions ? POSITION_COLUMNS : [])]);
    result[table] = sortRows(table, snapshot[table] as object[]).map((row) =>
      Object.fromEntries(Object.entries(row).filter(([column]) => !dropped.has(column))),
    );
  }
  return result;
}
