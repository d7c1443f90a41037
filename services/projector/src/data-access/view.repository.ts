import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from '@passerelle/db';
import type { EventScope, ViewStore, ViewTransaction } from '../domain/apply-events.ts';
import type { BatchPlan, PriorState } from '../domain/batch-plan.ts';
import type { DeadLetterRow, InitiativeProgress, InitiativeRow, ProcessedEventRow, ReferralHistoryRow, ServiceGapEventRow } from '../domain/view-model.ts';
import { fromDbRow, qualified, toDbRow } from './rows.ts';

/**
 * The advisory lock every write to a view schema takes shared, and a rebuild's switch takes
 * exclusive: while the switch renames schemas, no batch is half-way through the old one.
 */
export function viewLockKey(schema: string): string {
  return `passerelle-view:${schema}`;
}

const RETRYABLE_SQL_STATES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

type Position = { source_topic: string; source_partition: number; source_offset: number };
const positionKey = (row: Position) => `${row.source_topic}:${row.source_partition}:${row.source_offset}`;

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) map.set(key(row), [...(map.get(key(row)) ?? []), row]);
  return map;
}

function progressOf(row: Record<string, unknown>): InitiativeProgress {
  const { initiative_id, latest_status, latest_measure_unit, latest_measure_quantity, latest_occurred_at, latest_event_id, milestones } = fromDbRow<InitiativeRow>(row);
  return { initiative_id, latest_status, latest_measure_unit, latest_measure_quantity, latest_occurred_at, latest_event_id, milestones };
}

/** One transaction on one view schema. Every SQL statement that changes the view is in this file. */
class SqlViewTransaction implements ViewTransaction {
  constructor(
    private readonly trx: Knex.Transaction,
    private readonly schema: string,
  ) {}

  private t(table: string): Knex.QueryBuilder {
    return this.trx(qualified(this.schema, table));
  }

  async lockAggregates(keys: readonly string[]): Promise<void> {
    // Taken in one fixed order (by hash) so that two members of the group never deadlock on them.
    await this.trx.raw(
      'SELECT count(*) FROM (SELECT pg_advisory_xact_lock(h) FROM (SELECT hashtextextended(k, 0) AS h FROM unnest(?::text[]) AS k ORDER BY 1) AS ordered) AS locked',
      [keys.map((key) => `${this.schema}:${key}`)],
    );
  }

  async recordProcessed(rows: readonly ProcessedEventRow[]): Promise<ReadonlySet<string>> {
    const inserted = (await this.t('processed_events').insert(rows.map(toDbRow)).onConflict('event_id').ignore().returning('event_id')) as { event_id: string }[];
    return new Set(inserted.map((row) => row.event_id));
  }

  async loadPrior(ids: { referralIds: readonly string[]; gapIds: readonly string[]; initiativeIds: readonly string[] }): Promise<PriorState> {
    const referralRows = ids.referralIds.length ? ((await this.t('referral_history').whereIn('referral_id', ids.referralIds)) as Record<string, unknown>[]) : [];
    const gapRows = ids.gapIds.length ? ((await this.t('service_gap_events').whereIn('gap_id', ids.gapIds)) as Record<string, unknown>[]) : [];
    const initiativeRows = ids.initiativeIds.length ? ((await this.t('initiatives').whereIn('initiative_id', ids.initiativeIds)) as Record<string, unknown>[]) : [];
    return {
      referralHistory: groupBy(referralRows.map((row) => fromDbRow<ReferralHistoryRow>(row)), (row) => row.referral_id),
      gapHistory: groupBy(gapRows.map((row) => fromDbRow<ServiceGapEventRow>(row)), (row) => row.gap_id),
      initiativeProgress: new Map(initiativeRows.map((row) => [String(row['initiative_id']), progressOf(row)])),
    };
  }

  /**
   * Inserts per-event rows: one statement for the untraced ones, and one per trace for the
   * traced ones, run in the scope of that trace's first event so the statement's span is a
   * child of the event's apply span. Tracing everything costs a statement per trace.
   */
  private async insertEventRows<R extends { event_id: string; trace_id: string | null }>(table: string, rows: readonly R[], scopeOf: EventScope | undefined): Promise<void> {
    if (rows.length === 0) return;
    const bulk: R[] = [];
    const traced = new Map<string, { run: NonNullable<ReturnType<EventScope>>; rows: R[] }>();
    for (const row of rows) {
      const run = row.trace_id ? scopeOf?.(row.event_id) : undefined;
      if (!run || !row.trace_id) {
        bulk.push(row);
        continue;
      }
      const group = traced.get(row.trace_id) ?? { run, rows: [] };
      group.rows.push(row);
      traced.set(row.trace_id, group);
    }
    if (bulk.length) await this.t(table).insert(bulk.map(toDbRow));
    for (const group of traced.values()) await group.run(() => this.t(table).insert(group.rows.map(toDbRow)).then(() => undefined));
  }

  async carryOut(plan: BatchPlan, scopeOf?: EventScope): Promise<void> {
    await this.insertEventRows('referral_history', plan.referralHistory, scopeOf);
    if (plan.strippedReferrals.length) {
      await this.trx.raw('UPDATE ?? SET payload = payload - ?::text[] WHERE referral_id = ANY(?::uuid[])', [
        qualified(this.schema, 'referral_history'),
        [...plan.strippedFields],
        plan.strippedReferrals,
      ]);
    }
    if (plan.referrals.length) await this.t('referrals').insert(plan.referrals.map(toDbRow)).onConflict('referral_id').merge();
    if (plan.refoldedReferrals.length) await this.t('illegal_transitions').whereIn('referral_id', plan.refoldedReferrals).delete();
    if (plan.illegalTransitions.length) await this.t('illegal_transitions').insert(plan.illegalTransitions.map(toDbRow));
    if (plan.consentPurges.length) await this.t('consent_purges').insert(plan.consentPurges.map(toDbRow)).onConflict('event_id').ignore();
    if (plan.referralCounts.length) {
      await this.t('referral_counts')
        .insert(plan.referralCounts.map(toDbRow))
        .onConflict(['referring_ministry', 'region', 'service_category', 'population_group'])
        .merge({ referrals: this.trx.raw('?? + excluded.referrals', ['referral_counts.referrals']) });
    }
    await this.insertEventRows('initiative_milestones', plan.milestones, scopeOf);
    for (const { initiative_id, ...progress } of plan.initiatives) await this.t('initiatives').where({ initiative_id }).update(toDbRow(progress));
    await this.insertEventRows('service_gap_events', plan.gapEvents, scopeOf);
    if (plan.serviceGaps.length) await this.t('service_gaps').insert(plan.serviceGaps.map(toDbRow)).onConflict('gap_id').merge();
  }

  async recordDeadLetters(rows: readonly DeadLetterRow[]): Promise<readonly DeadLetterRow[]> {
    // New rows, and rows a rebuild recorded without publishing that this consumer has now published.
    const changed = (await this.t('dead_letters')
      .insert(rows.map(toDbRow))
      .onConflict(['source_topic', 'source_partition', 'source_offset'])
      .merge(['published', 'dead_lettered_at'])
      .where(this.trx.raw('?? = false AND excluded.published = true', ['dead_letters.published']))
      .returning(['source_topic', 'source_partition', 'source_offset'])) as Position[];
    const keys = new Set(changed.map(positionKey));
    return rows.filter((row) => keys.has(positionKey(row)));
  }
}

/** The view in one PostgreSQL schema. */
export class ViewRepository implements ViewStore {
  constructor(
    private readonly db: Knex,
    readonly schema: string,
  ) {}

  /**
   * One transaction, holding the view's lock shared (a rebuild's switch waits for it) and
   * retried when PostgreSQL picked it as a deadlock victim.
   */
  async transaction<T>(work: (tx: ViewTransaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(async (trx) => {
          await trx.raw('SELECT pg_advisory_xact_lock_shared(hashtextextended(?, 0))', [viewLockKey(this.schema)]);
          return work(new SqlViewTransaction(trx, this.schema));
        });
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt >= MAX_ATTEMPTS || !code || !RETRYABLE_SQL_STATES.has(code)) throw error;
        await sleep(20 * attempt + Math.floor(Math.random() * 50));
      }
    }
  }

  /** Writes the catalogue's initiatives (titles, pillar, lead) without touching their progress. */
  async loadCatalogue(rows: readonly InitiativeRow[]): Promise<void> {
    if (rows.length === 0) return;
    const catalogueColumns = ['strategy_id', 'pillar_id', 'pillar_title_en', 'pillar_title_fr', 'lead_ministry', 'title_en', 'title_fr'];
    await this.db(qualified(this.schema, 'initiatives')).insert(rows.map(toDbRow)).onConflict('initiative_id').merge(catalogueColumns);
  }

  /**
   * Positions among `positions` whose dead letter was already published (so a redelivery does
   * not publish it again). A rebuild records without publishing; such rows do not count.
   */
  async publishedDeadLetters(positions: readonly { topic: string; partition: number; offset: number }[]): Promise<Set<string>> {
    if (positions.length === 0) return new Set();
    const rows = (await this.db(qualified(this.schema, 'dead_letters'))
      .where({ published: true })
      .whereIn(
        ['source_topic', 'source_partition', 'source_offset'],
        positions.map((p) => [p.topic, p.partition, p.offset]),
      )
      .select('source_topic', 'source_partition', 'source_offset')) as Position[];
    return new Set(rows.map(positionKey));
  }
}
