import type { Context } from '@opentelemetry/api';
import type { AggregateKind, SealedSubject } from '@passerelle/contracts';
import { aggregateOf, planBatch, processedRowOf, type BatchPlan, type PriorState } from './batch-plan.ts';
import type { RecordKeyer } from './record-key.ts';
import { openSealedSubject, sealedSubjectOf, UNREADABLE_SUBJECT, type OpenedSubject, type SubjectKeyState } from './subject-opening.ts';
import type { DeadLetterRow, ProcessedEventRow } from '@passerelle/coordination-view';
import type { AcceptedEvent } from './view-model.ts';

/**
 * The tracing context of one event (its apply span), under which the storage records a span for
 * the statement that wrote the event's rows; undefined for an event that is not traced (sampled
 * out, or no SDK).
 */
export type EventScope = (eventId: string) => Context | undefined;

/** What applying a batch needs from storage, inside one transaction. */
export interface ViewTransaction {
  /** Serialises work on these aggregates (`referral:<id>`, `gap:<id>`, `initiative:<id>`) with other transactions. */
  lockAggregates(keys: readonly string[]): Promise<void>;
  /** Records event ids; returns those that were not recorded before. */
  recordProcessed(rows: readonly ProcessedEventRow[]): Promise<ReadonlySet<string>>;
  loadPrior(ids: { referralIds: readonly string[]; gapIds: readonly string[]; initiativeIds: readonly string[] }): Promise<PriorState>;
  /** The data keys of these referrals, read inside the transaction (the aggregates are locked). */
  readSubjectKeys(referralIds: readonly string[]): Promise<ReadonlyMap<string, SubjectKeyState>>;
  /** Stores the plan; the statements writing traced events' rows are recorded in their traces (see EventScope). */
  carryOut(plan: BatchPlan, scopeOf?: EventScope): Promise<void>;
  /** Records dead letters; returns those recorded (or published) for the first time. */
  recordDeadLetters(rows: readonly DeadLetterRow[]): Promise<readonly DeadLetterRow[]>;
}

export interface ViewStore {
  /**
   * The record key this view gives a referral. A store is bound to the secret its view was keyed
   * with (checked against the view's fingerprint when it is prepared), so no batch can mix keys.
   */
  readonly recordKeyOf: RecordKeyer;
  /** The data keys of these referrals, outside any transaction: to open a chunk's sealed creations before it is applied. */
  readSubjectKeys(referralIds: readonly string[]): Promise<ReadonlyMap<string, SubjectKeyState>>;
  /** Runs `work` in one transaction: all of it is stored, or none. */
  transaction<T>(work: (tx: ViewTransaction) => Promise<T>): Promise<T>;
}

export interface ApplyResult {
  /** Events new to the view, now applied. */
  readonly applied: readonly AcceptedEvent[];
  /** Events whose id the view had already processed: redeliveries, dropped. */
  readonly duplicates: readonly AcceptedEvent[];
  readonly deadLetters: readonly DeadLetterRow[];
}

/**
 * Applies a batch exactly once in effect: in one transaction, lock what it touches, record its
 * event ids (those already recorded are redeliveries and are dropped), plan the changes of
 * the new ones from what the view holds, store them, record dead letters. The caller resolves
 * Kafka offsets only after this returns.
 */
export async function applyEvents(
  store: ViewStore,
  events: readonly AcceptedEvent[],
  deadLetters: readonly DeadLetterRow[],
  now: number,
  scopeOf?: EventScope,
): Promise<ApplyResult> {
  const unique = [...new Map(events.map((event) => [event.eventId, event])).values()].sort((a, b) => (a.eventId < b.eventId ? -1 : 1));
  return store.transaction(async (tx) => {
    let fresh: AcceptedEvent[] = [];
    if (unique.length > 0) {
      await tx.lockAggregates([...new Set(unique.map((event) => `${aggregateOf(event).kind}:${aggregateOf(event).id}`))].sort());
      const recorded = await tx.recordProcessed(unique.map((event) => processedRowOf(event, now)));
      fresh = unique.filter((event) => recorded.has(event.eventId));
    }
    if (fresh.length > 0) {
      const ids = (kind: AggregateKind) => [
        ...new Set(
          fresh
            .map(aggregateOf)
            .filter((a) => a.kind === kind)
            .map((a) => a.id),
        ),
      ];
      const prior = await tx.loadPrior({ referralIds: ids('referral'), gapIds: ids('gap'), initiativeIds: ids('initiative') });
      const openedSubjects = await openSubjects(tx, fresh, prior);
      await tx.carryOut(planBatch(fresh, { ...prior, openedSubjects }, now, store.recordKeyOf), scopeOf);
    }
    const recordedLetters = deadLetters.length > 0 ? await tx.recordDeadLetters(deadLetters) : [];
    const freshIds = new Set(fresh.map((event) => event.eventId));
    return { applied: fresh, duplicates: events.filter((event) => !freshIds.has(event.eventId)), deadLetters: recordedLetters };
  });
}

/**
 * The opened subject of every sealed creation the plan will fold: those of the batch (opened by
 * the consumer before the transaction, `event.opened`) and those of the stored histories it
 * refolds, opened here with keys read in the transaction (one query). A stored creation that
 * does not open (its key destroyed since, or the store tampered with) gives nothing readable.
 */
async function openSubjects(tx: ViewTransaction, fresh: readonly AcceptedEvent[], prior: PriorState): Promise<Map<string, OpenedSubject>> {
  const opened = new Map<string, OpenedSubject>();
  const toOpen: { referralId: string; eventId: string; sealed: SealedSubject }[] = [];
  for (const event of fresh) {
    if (event.type !== 'ReferralCreated') continue;
    const sealed = sealedSubjectOf(event.payload as unknown as Record<string, unknown>);
    if (event.opened) opened.set(event.eventId, event.opened);
    else if (sealed) toOpen.push({ referralId: aggregateOf(event).id, eventId: event.eventId, sealed });
  }
  for (const [referralId, rows] of prior.referralHistory) {
    for (const row of rows) {
      const sealed = row.event_type === 'ReferralCreated' ? sealedSubjectOf(row.payload) : null;
      if (sealed) toOpen.push({ referralId, eventId: row.event_id, sealed });
    }
  }
  if (toOpen.length === 0) return opened;
  const keys = await tx.readSubjectKeys([...new Set(toOpen.map((entry) => entry.referralId))]);
  for (const { referralId, eventId, sealed } of toOpen) {
    const opening = openSealedSubject(referralId, eventId, sealed, keys.get(referralId));
    opened.set(eventId, opening.ok ? opening.opened : UNREADABLE_SUBJECT);
  }
  return opened;
}
