import { aggregateKindOf, messageKeyOf, type AggregateKind } from '@passerelle/contracts';
import type { EventPayloads } from '@passerelle/schemas/generated';
import { evolveInitiative, noProgress } from './initiative.projection.ts';
import type { RecordKeyer } from './record-key.ts';
import {
  erasingWithdrawals,
  foldReferral,
  PERSON_LEVEL_FIELDS,
  PURGED_COLUMNS,
  stripPersonLevel,
  type ReferralFact,
} from './referral.projection.ts';
import { foldServiceGap } from './service-gap.projection.ts';
import type { OpenedSubject } from './subject-opening.ts';
import type {
  ConsentPurgeRow,
  IllegalTransitionRow,
  InitiativeProgress,
  MilestoneRow,
  ProcessedEventRow,
  ReferralHistoryRow,
  ReferralRow,
  ServiceGapEventRow,
  ServiceGapRow,
} from '@passerelle/coordination-view';
import type { AcceptedEvent, ErasureRow } from './view-model.ts';

/** What the view already holds about the entities a batch touches. */
export interface PriorState {
  readonly referralHistory: ReadonlyMap<string, readonly ReferralHistoryRow[]>;
  readonly gapHistory: ReadonlyMap<string, readonly ServiceGapEventRow[]>;
  readonly initiativeProgress: ReadonlyMap<string, InitiativeProgress>;
  /**
   * By event id, the opened subject of each sealed creation among the history and the batch
   * (subject-opening.ts): what the fold gives the referral row. Never stored.
   */
  readonly openedSubjects?: ReadonlyMap<string, OpenedSubject>;
}

/** Every write a batch of new events causes. The SQL repository and the in-memory model both just carry it out. */
export interface BatchPlan {
  readonly referralHistory: ReferralHistoryRow[];
  /** Referrals whose existing history rows lose `strippedFields` from their payload. */
  readonly strippedReferrals: string[];
  readonly strippedFields: readonly string[];
  readonly referrals: ReferralRow[];
  /** Illegal transitions of these referrals are replaced by `illegalTransitions`. */
  readonly refoldedReferrals: string[];
  readonly illegalTransitions: IllegalTransitionRow[];
  readonly consentPurges: ConsentPurgeRow[];
  /**
   * One per consent purge, for its erasure receipt: the places this batch purged, counted. The
   * SQL transaction destroys each referral's data key and writes the receipt; the in-memory view
   * keeps them for a rebuild's bulk write to do the same.
   */
  readonly erasures: ErasureRow[];
  readonly milestones: MilestoneRow[];
  readonly initiatives: InitiativeProgress[];
  readonly gapEvents: ServiceGapEventRow[];
  readonly serviceGaps: ServiceGapRow[];
}

type ReferralEventType = ReferralHistoryRow['event_type'];
type GapEventType = ServiceGapEventRow['event_type'];

/**
 * The aggregate an event belongs to: the unit the projector locks, loads and refolds. Kind and
 * id (the message key field) come from the event-type facts of `@passerelle/contracts`.
 */
export function aggregateOf(event: AcceptedEvent): { kind: AggregateKind; id: string } {
  return { kind: aggregateKindOf(event.type), id: messageKeyOf(event.type, event.payload as never) };
}

/** The event body without its envelope: what history rows keep. */
function bodyOf(event: AcceptedEvent): Record<string, unknown> {
  const { envelope: _envelope, ...body } = event.payload as unknown as Record<string, unknown>;
  return body;
}

function positionColumns(event: AcceptedEvent) {
  return { source_topic: event.position.topic, source_partition: event.position.partition, source_offset: event.position.offset };
}

/** The pipeline's own hops: the adapter's acceptance (from the envelope) and the publication (the Kafka record's timestamp). */
function pipelineColumns(event: AcceptedEvent) {
  return { accepted_at: event.payload.envelope.acceptedAt ?? null, published_at: event.position.publishedAt ?? null };
}

export function processedRowOf(event: AcceptedEvent, now: number): ProcessedEventRow {
  return { event_id: event.eventId, event_type: event.type, ...positionColumns(event), processed_at: now };
}

const hasPersonLevel = (row: { payload: Record<string, unknown> }) => PERSON_LEVEL_FIELDS.some((field) => field in row.payload);

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Decides what a batch of events (each new to the view: duplicates are dropped before) changes.
 * Referrals and gaps are refolded from their whole history, so the result depends only on the
 * set of events applied, never on the order they came in; initiatives keep the greatest
 * milestone, which is order-free too. `keyOf` gives each referral row its record key.
 */
export function planBatch(events: readonly AcceptedEvent[], prior: PriorState, now: number, keyOf: RecordKeyer): BatchPlan {
  const plan: BatchPlan = {
    referralHistory: [],
    strippedReferrals: [],
    strippedFields: PERSON_LEVEL_FIELDS,
    referrals: [],
    refoldedReferrals: [],
    illegalTransitions: [],
    consentPurges: [],
    erasures: [],
    milestones: [],
    initiatives: [],
    gapEvents: [],
    serviceGaps: [],
  };
  const byAggregate = groupBy(events, (event) => {
    const aggregate = aggregateOf(event);
    return `${aggregate.kind}:${aggregate.id}`;
  });

  for (const group of byAggregate.values()) {
    const { kind, id } = aggregateOf(group[0] as AcceptedEvent);
    switch (kind) {
      case 'referral': {
        const before = prior.referralHistory.get(id) ?? [];
        const added = group.map<ReferralHistoryRow>((event) => ({
          event_id: event.eventId,
          referral_id: id,
          event_type: event.type as ReferralEventType,
          source_ministry: event.sourceMinistry,
          occurred_at: event.occurredAt,
          ...positionColumns(event),
          ...pipelineColumns(event),
          trace_id: event.traceId,
          payload: bodyOf(event),
          consumed_at: now,
        }));
        // Stored rows were stripped in the batch whose withdrawal first erased; only a first erasure strips them now.
        const erasedBefore = new Set(erasingWithdrawals(before).map((row) => row.event_id));
        const erasing = erasingWithdrawals([...before, ...added]);
        const erased = erasing.length > 0;
        const firstErasure = erased && erasedBefore.size === 0;
        const kept = firstErasure ? before.map((row) => ({ ...row, payload: stripPersonLevel(row.payload) })) : before;
        // An erased referral never takes person-level data back, whatever arrives later.
        const stored = erased ? added.map((row) => ({ ...row, payload: stripPersonLevel(row.payload) })) : added;
        const opened = prior.openedSubjects;
        const withOpened = (row: ReferralHistoryRow): ReferralFact => {
          const subject = row.event_type === 'ReferralCreated' ? opened?.get(row.event_id) : undefined;
          return subject ? { ...row, opened: subject } : row;
        };
        const folded = foldReferral([...kept, ...stored].map(withOpened), keyOf);
        plan.referralHistory.push(...stored);
        if (firstErasure) plan.strippedReferrals.push(id);
        if (folded.row) plan.referrals.push(folded.row);
        // Stored illegal transitions come from stored history: a referral with none has none to replace.
        if (before.length > 0) plan.refoldedReferrals.push(id);
        plan.illegalTransitions.push(...folded.illegal);
        // What this batch erased is counted once, on the first withdrawal new to the view.
        let places = {
          viewReferralRows: firstErasure && folded.row ? 1 : 0,
          historyRows: (firstErasure ? before : []).filter(hasPersonLevel).length + (erased ? added.filter(hasPersonLevel).length : 0),
        };
        for (const withdrawal of erasing) {
          if (erasedBefore.has(withdrawal.event_id)) continue;
          plan.erasures.push({ referral_id: id, withdrawal_event_id: withdrawal.event_id, withdrawn_at: withdrawal.occurred_at, places });
          places = { viewReferralRows: 0, historyRows: 0 };
          plan.consentPurges.push({
            event_id: withdrawal.event_id,
            referral_id: id,
            withdrawn_at: withdrawal.occurred_at,
            source_ministry: withdrawal.source_ministry,
            removed_columns: [...PURGED_COLUMNS],
            purged_at: now,
          });
        }
        break;
      }
      case 'gap': {
        const added = group.map<ServiceGapEventRow>((event) => ({
          event_id: event.eventId,
          gap_id: id,
          event_type: event.type as GapEventType,
          source_ministry: event.sourceMinistry,
          occurred_at: event.occurredAt,
          ...positionColumns(event),
          trace_id: event.traceId,
          payload: bodyOf(event),
          consumed_at: now,
        }));
        const row = foldServiceGap([...(prior.gapHistory.get(id) ?? []), ...added]);
        plan.gapEvents.push(...added);
        if (row) plan.serviceGaps.push(row);
        break;
      }
      case 'initiative': {
        let progress = prior.initiativeProgress.get(id) ?? noProgress(id);
        for (const event of group) {
          const payload = event.payload as EventPayloads['InitiativeMilestoneRecorded'];
          const milestone: MilestoneRow = {
            event_id: event.eventId,
            initiative_id: id,
            status: payload.status,
            measure_unit: payload.measure?.unit ?? null,
            measure_quantity: payload.measure?.quantity ?? null,
            source_ministry: event.sourceMinistry,
            occurred_at: event.occurredAt,
            ...positionColumns(event),
            trace_id: event.traceId,
            consumed_at: now,
          };
          plan.milestones.push(milestone);
          progress = evolveInitiative(progress, milestone);
        }
        plan.initiatives.push(progress);
        break;
      }
      default: {
        const unhandled: never = kind;
        throw new Error(`no plan for aggregate kind ${String(unhandled)}`);
      }
    }
  }
  return plan;
}
