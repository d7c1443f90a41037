import type { ViewStore, ViewTransaction } from '../domain/apply-events.ts';
import type { BatchPlan, PriorState } from '../domain/batch-plan.ts';
import { noProgress } from '../domain/initiative.projection.ts';
import type { RecordKeyer } from '../domain/record-key.ts';
import type { SubjectKeyReader, SubjectKeyState } from '../domain/subject-opening.ts';
import {
  VIEW_TABLE,
  VIEW_TABLES,
  type ConsentPurgeRow,
  type DeadLetterRow,
  type IllegalTransitionRow,
  type InitiativeProgress,
  type InitiativeRow,
  type MilestoneRow,
  type ProcessedEventRow,
  type ReferralHistoryRow,
  type ReferralRow,
  type ServiceGapEventRow,
  type ServiceGapRow,
  type ViewSnapshot,
  type ViewTable,
} from '@passerelle/coordination-view';
import { sortRows, type ErasureRow } from '../domain/view-model.ts';

type Position = Pick<DeadLetterRow, 'source_topic' | 'source_partition' | 'source_offset'>;
const positionKey = (row: Position) => `${row.source_topic}:${row.source_partition}:${row.source_offset}`;

const NO_ROWS: readonly never[] = [];

function* flatten<T>(groups: Iterable<readonly T[]>): Generator<T> {
  for (const rows of groups) yield* rows;
}

function sizeOf(groups: Iterable<readonly unknown[]>): number {
  let size = 0;
  for (const rows of groups) size += rows.length;
  return size;
}

function pushTo<T>(map: Map<string, T[]>, key: string, row: T): void {
  const rows = map.get(key);
  if (rows) rows.push(row);
  else map.set(key, [row]);
}

/**
 * Processed events column by column: a million of them would otherwise be a million more
 * long-lived objects for every young-generation collection to copy. Rows are rebuilt on reading.
 */
class ProcessedEvents {
  private readonly ids = new Set<string>();
  private readonly types: ProcessedEventRow['event_type'][] = [];
  private readonly topics: string[] = [];
  private readonly partitions: number[] = [];
  private readonly offsets: number[] = [];
  private readonly processedAt: number[] = [];

  get size(): number {
    return this.ids.size;
  }

  has(eventId: string): boolean {
    return this.ids.has(eventId);
  }

  add(row: ProcessedEventRow): void {
    this.ids.add(row.event_id);
    this.types.push(row.event_type);
    this.topics.push(row.source_topic);
    this.partitions.push(row.source_partition);
    this.offsets.push(row.source_offset);
    this.processedAt.push(row.processed_at);
  }

  *rows(): Generator<ProcessedEventRow> {
    let i = 0;
    for (const event_id of this.ids) {
      yield {
        event_id,
        event_type: this.types[i] as ProcessedEventRow['event_type'],
        source_topic: this.topics[i] as string,
        source_partition: this.partitions[i] as number,
        source_offset: this.offsets[i] as number,
        processed_at: this.processedAt[i] as number,
      };
      i++;
    }
  }
}

/** One table's rows as they stand, not copied: what a bulk writer streams out. */
export interface TableRows {
  readonly count: number;
  readonly rows: Iterable<object>;
}

/**
 * The whole view held in memory, behind the same store port as the SQL repository: the
 * production `applyEvents` (dedupe by event id, plan, carry out) runs against it unchanged.
 * A rebuild folds its replay here before writing the result in bulk, so it must stay cheap
 * per event at a million events: histories and illegal transitions are indexed by their
 * aggregate, rows are appended in place, and nothing scans a whole table per batch.
 * Event ids are deduplicated before any plan is carried out, so per-event rows are
 * appended without a uniqueness check.
 */
export class ViewState implements ViewStore {
  private processed = new ProcessedEvents();
  private referralHistory = new Map<string, ReferralHistoryRow[]>();
  private referrals = new Map<string, ReferralRow>();
  /** By referral: a refold replaces all of a referral's illegal transitions at once. */
  private illegal = new Map<string, IllegalTransitionRow[]>();
  private purges = new Map<string, ConsentPurgeRow>();
  /** Erasures applied, by withdrawal: not a view table; a bulk write destroys their keys and writes their receipts. */
  private erased = new Map<string, ErasureRow>();
  private readonly initiatives = new Map<string, InitiativeRow>();
  private milestones: MilestoneRow[] = [];
  private gaps = new Map<string, ServiceGapRow>();
  private gapEvents = new Map<string, ServiceGapEventRow[]>();
  private deadLetters = new Map<string, DeadLetterRow>();
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * `subjectKeys` reads data keys from the key store (a rebuild passes its database's); a view
   * without one can fold only legacy plaintext referrals, and refuses to open a sealed one.
   */
  constructor(
    catalogue: readonly InitiativeRow[],
    readonly recordKeyOf: RecordKeyer,
    private readonly subjectKeys?: SubjectKeyReader,
  ) {
    for (const row of catalogue) this.initiatives.set(row.initiative_id, { ...row });
  }

  readSubjectKeys(referralIds: readonly string[]): Promise<ReadonlyMap<string, SubjectKeyState>> {
    if (!this.subjectKeys) return Promise.reject(new Error('this in-memory view has no key store: it cannot open a sealed subject'));
    return this.subjectKeys(referralIds);
  }

  /**
   * One transaction at a time, all or nothing. A transaction awaits between its steps: two
   * chunks of different partitions folding the same referral at once would each miss the
   * other's events (the SQL path's aggregate locks prevent that there), so transactions queue.
   * Writes are staged and applied only once the work has finished; reads see what is applied.
   */
  transaction<T>(work: (tx: ViewTransaction) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.runTransaction(work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runTransaction<T>(work: (tx: ViewTransaction) => Promise<T>): Promise<T> {
    const processed = new Map<string, ProcessedEventRow>();
    const plans: BatchPlan[] = [];
    const letters = new Map<string, DeadLetterRow>();
    const result = await work({
      lockAggregates: async () => undefined,
      recordProcessed: async (rows) => this.recordProcessed(rows, processed),
      loadPrior: async (ids) => this.prior(ids),
      readSubjectKeys: (ids) => this.readSubjectKeys(ids),
      carryOut: async (plan) => void plans.push(plan),
      recordDeadLetters: async (rows) => this.recordDeadLetters(rows, letters),
    });
    for (const row of processed.values()) this.processed.add(row);
    for (const plan of plans) this.carryOut(plan);
    for (const [key, row] of letters) this.deadLetters.set(key, row);
    return result;
  }

  /** Positions among these whose dead letter was published (what the SQL repository answers; a rebuild never publishes). */
  async publishedDeadLetters(positions: readonly { topic: string; partition: number; offset: number }[]): Promise<Set<string>> {
    const published = new Set<string>();
    for (const { topic, partition, offset } of positions) {
      const key = positionKey({ source_topic: topic, source_partition: partition, source_offset: offset });
      if (this.deadLetters.get(key)?.published) published.add(key);
    }
    return published;
  }

  private recordProcessed(rows: readonly ProcessedEventRow[], staged: Map<string, ProcessedEventRow>): Set<string> {
    const fresh = new Set<string>();
    for (const row of rows) {
      if (this.processed.has(row.event_id) || staged.has(row.event_id)) continue;
      staged.set(row.event_id, row);
      fresh.add(row.event_id);
    }
    return fresh;
  }

  /** Same rule as the SQL upsert: a new position, or one recorded unpublished that is now published. */
  private recordDeadLetters(rows: readonly DeadLetterRow[], staged: Map<string, DeadLetterRow>): DeadLetterRow[] {
    const recorded: DeadLetterRow[] = [];
    for (const row of rows) {
      const key = positionKey(row);
      const existing = staged.get(key) ?? this.deadLetters.get(key);
      if (existing && (existing.published || !row.published)) continue;
      staged.set(key, existing ? { ...existing, published: row.published, dead_lettered_at: row.dead_lettered_at } : row);
      recorded.push(row);
    }
    return recorded;
  }

  /** The stored arrays themselves: the plan only reads them, and they grow only in carryOut, after planning. */
  private prior(ids: { referralIds: readonly string[]; gapIds: readonly string[]; initiativeIds: readonly string[] }): PriorState {
    const referralHistory = new Map<string, readonly ReferralHistoryRow[]>();
    for (const id of ids.referralIds) referralHistory.set(id, this.referralHistory.get(id) ?? NO_ROWS);
    const gapHistory = new Map<string, readonly ServiceGapEventRow[]>();
    for (const id of ids.gapIds) gapHistory.set(id, this.gapEvents.get(id) ?? NO_ROWS);
    const initiativeProgress = new Map<string, InitiativeProgress>();
    for (const id of ids.initiativeIds) initiativeProgress.set(id, this.progressOf(id));
    return { referralHistory, gapHistory, initiativeProgress };
  }

  private progressOf(id: string): InitiativeProgress {
    const row = this.initiatives.get(id);
    if (!row) return noProgress(id);
    const { initiative_id, latest_status, latest_measure_unit, latest_measure_quantity, latest_occurred_at, latest_event_id, milestones } =
      row;
    return { initiative_id, latest_status, latest_measure_unit, latest_measure_quantity, latest_occurred_at, latest_event_id, milestones };
  }

  /** The plan's writes, in the order the SQL repository runs them (history first, then its stripping). */
  private carryOut(plan: BatchPlan): void {
    for (const row of plan.referralHistory) pushTo(this.referralHistory, row.referral_id, row);
    for (const referralId of plan.strippedReferrals) {
      const rows = this.referralHistory.get(referralId) ?? [];
      for (const [index, row] of rows.entries()) {
        const payload = { ...row.payload };
        for (const field of plan.strippedFields) delete payload[field];
        rows[index] = { ...row, payload };
      }
    }
    for (const row of plan.referrals) this.referrals.set(row.referral_id, row);
    for (const referralId of plan.refoldedReferrals) this.illegal.delete(referralId);
    for (const row of plan.illegalTransitions) pushTo(this.illegal, row.referral_id, row);
    for (const row of plan.consentPurges) if (!this.purges.has(row.event_id)) this.purges.set(row.event_id, row);
    for (const row of plan.erasures) if (!this.erased.has(row.withdrawal_event_id)) this.erased.set(row.withdrawal_event_id, row);
    for (const row of plan.milestones) this.milestones.push(row);
    for (const progress of plan.initiatives) {
      const row = this.initiatives.get(progress.initiative_id);
      if (row) Object.assign(row, progress);
    }
    for (const row of plan.gapEvents) pushTo(this.gapEvents, row.gap_id, row);
    for (const row of plan.serviceGaps) this.gaps.set(row.gap_id, row);
  }

  /**
   * Hands over every row but the initiatives' (a catalogue whose progress later milestones build
   * on) as a state of their own, and starts afresh: a rebuild that folds its events aggregate by
   * aggregate writes a window of them while it folds the next, so it never holds more than two.
   * Event ids go too: the rebuild hands each id over once (its stage removes redeliveries).
   */
  detachFolded(): ViewState {
    const folded = new ViewState([], this.recordKeyOf);
    folded.processed = this.processed;
    folded.referralHistory = this.referralHistory;
    folded.referrals = this.referrals;
    folded.illegal = this.illegal;
    folded.purges = this.purges;
    folded.erased = this.erased;
    folded.milestones = this.milestones;
    folded.gaps = this.gaps;
    folded.gapEvents = this.gapEvents;
    folded.deadLetters = this.deadLetters;
    this.processed = new ProcessedEvents();
    this.referralHistory = new Map();
    this.referrals = new Map();
    this.illegal = new Map();
    this.purges = new Map();
    this.erased = new Map();
    this.milestones = [];
    this.gaps = new Map();
    this.gapEvents = new Map();
    this.deadLetters = new Map();
    return folded;
  }

  /** Rows held besides the initiatives, processed events included: what detachFolded hands over. */
  get heldRows(): number {
    return VIEW_TABLES.reduce((sum, table) => sum + (table === VIEW_TABLE.initiatives ? 0 : this.table(table).count), this.erased.size);
  }

  /** The erasing withdrawals applied, in the order they were: whose data keys a bulk write destroys. */
  erasures(): ErasureRow[] {
    return [...this.erased.values()];
  }

  /** One table's rows in no particular order. */
  table(table: ViewTable): TableRows {
    switch (table) {
      case VIEW_TABLE.referrals:
        return { count: this.referrals.size, rows: this.referrals.values() };
      case VIEW_TABLE.referral_history:
        return { count: sizeOf(this.referralHistory.values()), rows: flatten(this.referralHistory.values()) };
      case VIEW_TABLE.illegal_transitions:
        return { count: sizeOf(this.illegal.values()), rows: flatten(this.illegal.values()) };
      case VIEW_TABLE.consent_purges:
        return { count: this.purges.size, rows: this.purges.values() };
      case VIEW_TABLE.initiatives:
        return { count: this.initiatives.size, rows: this.initiatives.values() };
      case VIEW_TABLE.initiative_milestones:
        return { count: this.milestones.length, rows: this.milestones.values() };
      case VIEW_TABLE.service_gaps:
        return { count: this.gaps.size, rows: this.gaps.values() };
      case VIEW_TABLE.service_gap_events:
        return { count: sizeOf(this.gapEvents.values()), rows: flatten(this.gapEvents.values()) };
      case VIEW_TABLE.processed_events:
        return { count: this.processed.size, rows: this.processed.rows() };
      case VIEW_TABLE.dead_letters:
        return { count: this.deadLetters.size, rows: this.deadLetters.values() };
    }
  }

  /** Every table, rows sorted by key (copies: the state may go on changing). */
  snapshot(): ViewSnapshot {
    const sorted = <T extends object>(table: ViewTable): T[] =>
      sortRows(table, [...(this.table(table).rows as Iterable<T>)]).map((row) => ({ ...row }));
    return {
      referrals: sorted(VIEW_TABLE.referrals),
      referral_history: sorted(VIEW_TABLE.referral_history),
      illegal_transitions: sorted(VIEW_TABLE.illegal_transitions),
      consent_purges: sorted(VIEW_TABLE.consent_purges),
      initiatives: sorted(VIEW_TABLE.initiatives),
      initiative_milestones: sorted(VIEW_TABLE.initiative_milestones),
      service_gaps: sorted(VIEW_TABLE.service_gaps),
      service_gap_events: sorted(VIEW_TABLE.service_gap_events),
      processed_events: sorted(VIEW_TABLE.processed_events),
      dead_letters: sorted(VIEW_TABLE.dead_letters),
    };
  }
}
