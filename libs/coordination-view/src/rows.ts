import type {
  ConsentScope,
  GapSeverity,
  MeasureUnit,
  MilestoneStatus,
  Ministry,
  PopulationFlags,
  ReceivingServiceType,
  ReferralStatus,
  ReferralStatusReason,
  Region,
  ServiceCategory,
  ServiceGapCode,
  ServiceGapResolution,
  Urgency,
} from '@passerelle/schemas/generated';
import type { EventType, SealedSubject } from '@passerelle/contracts';

/**
 * The coordination view as plain rows, column for column what the PostgreSQL tables hold.
 * Times are epoch milliseconds here and timestamptz in the database. The projector's pure
 * projection produces these rows and its repositories store them; the view API reads them.
 * Enumerated columns take their values from the Avro enums of @passerelle/schemas.
 */

/** The at-risk groups of the strategy, as payload field and column name. */
export const POPULATION_GROUPS = [
  { field: 'indigenous', column: 'indigenous' },
  { field: 'youngWomen', column: 'young_women' },
  { field: 'youthAtRisk', column: 'youth_at_risk' },
  { field: 'youthInOrLeavingCare', column: 'youth_in_or_leaving_care' },
  { field: 'migrantWorkers', column: 'migrant_workers' },
  { field: 'mentalHealthOrAddictions', column: 'mental_health_or_addictions' },
] as const satisfies readonly { readonly field: keyof PopulationFlags; readonly column: string }[];

/** A group as the events and the view API name it (a PopulationFlags field). */
export type PopulationField = (typeof POPULATION_GROUPS)[number]['field'];
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
  /** A legacy plaintext referral's pseudonym; null for a sealed one (see subject_sealed) and once consent is withdrawn. */
  subject_pseudonym: string | null;
  /**
   * A sealed referral's subject as its creation carried it (ReferralCreated.sealedSubject): the
   * view API opens the pseudonym with the referral's data key for a person-level answer. Null for
   * a legacy plaintext referral, for one whose key is destroyed, and once consent is withdrawn.
   */
  subject_sealed: SealedSubject | null;
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
  event_type: Extract<EventType, 'ReferralCreated' | 'ReferralStatusChanged' | 'ConsentWithdrawn'>;
  source_ministry: Ministry;
  occurred_at: number;
  source_topic: string;
  source_partition: number;
  source_offset: number;
  trace_id: string | null;
  payload: Record<string, unknown>;
  /** When the publishing adapter accepted the record (Envelope.acceptedAt); null from producers before schema version 2. */
  accepted_at: number | null;
  /** The Kafka record's timestamp: when the adapter's relay published the event. */
  published_at: number | null;
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
  | 'initiative_id'
  | 'latest_status'
  | 'latest_measure_unit'
  | 'latest_measure_quantity'
  | 'latest_occurred_at'
  | 'latest_event_id'
  | 'milestones'
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

/** A service gap is open from its report until its resolution. */
export type ServiceGapStatus = 'OPEN' | 'RESOLVED';

export interface ServiceGapRow extends AffectedPopulationColumns {
  gap_id: string;
  status: ServiceGapStatus;
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
  event_type: Extract<EventType, 'ServiceGapReported' | 'ServiceGapResolved'>;
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
