import { applyEvents, type ViewStore, type ViewTransaction } from '../domain/apply-events.ts';
import type { BatchPlan, PriorState } from '../domain/batch-plan.ts';
import { noProgress } from '../domain/initiative.projection.ts';
import { countKey } from '../domain/referral-counts.ts';
import {
  sortRows,
  type AcceptedEvent,
  type ConsentPurgeRow,
  type DeadLetterRow,
  type IllegalTransitionRow,
  type InitiativeProgress,
  type InitiativeRow,
  type MilestoneRow,
  type ProcessedEventRow,
  type ReferralCountRow,
  type ReferralHistoryRow,
  type ReferralRow,
  type ServiceGapEventRow,
  type ServiceGapRow,
  type ViewSnapshot,
} from '../domain/view-model.ts';

const positionKey = (row: DeadLetterRow) => `${row.source_topic}:${row.source_partition}:${row.source_offset}`;

/**
 * The view kept in memory, behind the same store port as the SQL repository: `apply` runs the
 * production `applyEvents` (dedupe by event id, plan, carry out), only the storage differs.
 * Unit tests deliver events to it in any order; the end-to-end test uses it as the expected view.
 */
export class InMemoryView implements ViewStore {
  private readonly processed = new Map<string, ProcessedEventRow>();
  /** By referral id, then event id. */
  private readonly referralHistory = new Map<string, Map<string, ReferralHistoryRow>>();
  private readonly referrals = new Map<string, ReferralRow>();
  private readonly illegal = new Map<string, IllegalTransitionRow>();
  private readonly purges = new Map<string, ConsentPurgeRow>();
  private readonly counts = new Map<string, ReferralCountRow>();
  private readonly initiatives = new Map<string, InitiativeRow>();
  private readonly milestones = new Map<string, MilestoneRow>();
  private readonly gaps = new Map<string, ServiceGapRow>();
  /** By gap id, then event id. */
  private readonly gapEvents = new Map<string, Map<string, ServiceGapEventRow>>();
  private readonly deadLetters = new Map<string, DeadLetterRow>();

  constructor(catalogue: readonly InitiativeRow[]) {
    for (const row of catalogue) this.initiatives.set(row.initiative_id, { ...row });
  }

  /** One batch, as one transaction applies it. */
  async apply(events: readonly AcceptedEvent[], now = 0): Promise<{ applied: number; duplicates: number }> {
    const result = await applyEvents(this, events, [], now);
    return { applied: result.applied.length, duplicates: result.duplicates.length };
  }

  /** Single-threaded and all-or-nothing is not needed here: nothing fails half-way in memory. */
  async transaction<T>(work: (tx: ViewTransaction) => Promise<T>): Promise<T> {
    return work({
      lockAggregates: async () => undefined,
      recordProcessed: async (rows) => {
        const fresh = rows.filter((row) => !this.processed.has(row.event_id));
        for (const row of fresh) this.processed.set(row.event_id, row);
        return new Set(fresh.map((row) => row.event_id));
      },
      loadPrior: async (ids) => this.prior(ids),
      carryOut: async (plan) => this.carryOut(plan),
      recordDeadLetters: async (rows) => {
        const fresh = rows.filter((row) => !this.deadLetters.has(positionKey(row)));
        for (const row of fresh) this.deadLetters.set(positionKey(row), row);
        return fresh;
      },
    });
  }

  private prior(ids: { referralIds: readonly string[]; gapIds: readonly string[]; initiativeIds: readonly string[] }): PriorState {
    return {
      referralHistory: new Map(ids.referralIds.map((id) => [id, [...(this.referralHistory.get(id)?.values() ?? [])]])),
      gapHistory: new Map(ids.gapIds.map((id) => [id, [...(this.gapEvents.get(id)?.values() ?? [])]])),
      initiativeProgress: new Map(ids.initiativeIds.map((id) => [id, this.progressOf(id)])),
    };
  }

  private inner<T>(map: Map<string, Map<string, T>>, key: string): Map<string, T> {
    let rows = map.get(key);
    if (!rows) map.set(key, (rows = new Map()));
    return rows;
  }

  private progressOf(id: string): InitiativeProgress {
    const row = this.initiatives.get(id);
    if (!row) return noProgress(id);
    const { initiative_id, latest_status, latest_measure_unit, latest_measure_quantity, latest_occurred_at, latest_event_id, milestones } = row;
    return { initiative_id, latest_status, latest_measure_unit, latest_measure_quantity, latest_occurred_at, latest_event_id, milestones };
  }

  private carryOut(plan: BatchPlan): void {
    for (const row of plan.referralHistory) this.inner(this.referralHistory, row.referral_id).set(row.event_id, row);
    for (const referralId of plan.strippedReferrals) {
      const rows = this.inner(this.referralHistory, referralId);
      for (const [id, row] of rows) {
        const payload = { ...row.payload };
        for (const field of plan.strippedFields) delete payload[field];
        rows.set(id, { ...row, payload });
      }
    }
    for (const row of plan.referrals) this.referrals.set(row.referral_id, row);
    const refolded = new Set(plan.refoldedReferrals);
    for (const [id, row] of this.illegal) if (refolded.has(row.referral_id)) this.illegal.delete(id);
    for (const row of plan.illegalTransitions) this.illegal.set(row.event_id, row);
    for (const row of plan.consentPurges) if (!this.purges.has(row.event_id)) this.purges.set(row.event_id, row);
    for (const row of plan.referralCounts) {
      const key = countKey(row);
      const existing = this.counts.get(key);
      this.counts.set(key, existing ? { ...existing, referrals: existing.referrals + row.referrals } : { ...row });
    }
    for (const row of plan.milestones) this.milestones.set(row.event_id, row);
    for (const progress of plan.initiatives) {
      const row = this.initiatives.get(progress.initiative_id);
      if (row) this.initiatives.set(progress.initiative_id, { ...row, ...progress });
    }
    for (const row of plan.gapEvents) this.inner(this.gapEvents, row.gap_id).set(row.event_id, row);
    for (const row of plan.serviceGaps) this.gaps.set(row.gap_id, row);
  }

  snapshot(): ViewSnapshot {
    return {
      referrals: sortRows('referrals', [...this.referrals.values()]),
      referral_history: sortRows('referral_history', [...this.referralHistory.values()].flatMap((rows) => [...rows.values()])),
      illegal_transitions: sortRows('illegal_transitions', [...this.illegal.values()]),
      consent_purges: sortRows('consent_purges', [...this.purges.values()]),
      referral_counts: sortRows('referral_counts', [...this.counts.values()]),
      initiatives: sortRows('initiatives', [...this.initiatives.values()]),
      initiative_milestones: sortRows('initiative_milestones', [...this.milestones.values()]),
      service_gaps: sortRows('service_gaps', [...this.gaps.values()]),
      service_gap_events: sortRows('service_gap_events', [...this.gapEvents.values()].flatMap((rows) => [...rows.values()])),
      processed_events: sortRows('processed_events', [...this.processed.values()]),
      dead_letters: sortRows('dead_letters', [...this.deadLetters.values()]),
    };
  }
}
