import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, trace } from '@opentelemetry/api';
import type { KeyEncryptionKey } from '@passerelle/contracts';
import type { Knex } from '@passerelle/db';
import type { EventScope, ViewStore, ViewTransaction } from '../domain/apply-events.ts';
import type { BatchPlan, PriorState } from '../domain/batch-plan.ts';
import type { RecordKeyer } from '../domain/record-key.ts';
import type { SubjectKeyState } from '../domain/subject-opening.ts';
import {
  VIEW_TABLE,
  type DeadLetterRow,
  type InitiativeProgress,
  type InitiativeRow,
  type ProcessedEventRow,
  type ReferralHistoryRow,
  type ServiceGapEventRow,
} from '@passerelle/coordination-view';
import { KeyStoreUnavailableError, readSubjectKeys, shred, type ErasureReceipt } from './key-store.repository.ts';
import { asExecuted, RecordSetStatements, readTableShapes } from './record-set.ts';
import { qualified, toDbRow } from './rows.ts';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_BATCH_SIZE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
} from './semconv.ts';

const tracer = trace.getTracer('@passerelle/projector');

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
  for (const row of rows) {
    const group = map.get(key(row));
    if (group) group.push(row);
    else map.set(key(row), [row]);
  }
  return map;
}

function progressOf(row: InitiativeRow): InitiativeProgress {
  const { initiative_id, latest_status, latest_measure_unit, latest_measure_quantity, latest_occurred_at, latest_event_id, milestones } =
    row;
  return { initiative_id, latest_status, latest_measure_unit, latest_measure_quantity, latest_occurred_at, latest_event_id, milestones };
}

const keysOf = (rows: readonly object[]) => Object.keys(rows[0] as object);
const DEAD_LETTER_KEY = ['source_topic', 'source_partition', 'source_offset'];
const CATALOGUE_COLUMNS = ['strategy_id', 'pillar_id', 'pillar_title_en', 'pillar_title_fr', 'lead_ministry', 'title_en', 'title_fr'];

/**
 * One transaction on one view schema. Every SQL statement that changes the view is in this file.
 * Each kind of row goes in one statement per chunk, the chunk's rows bound as one jsonb value.
 */
class SqlViewTransaction implements ViewTransaction {
  constructor(
    private readonly trx: Knex.Transaction,
    private readonly sql: RecordSetStatements,
    private readonly keys: ViewRepositoryOptions,
  ) {}

  readSubjectKeys(referralIds: readonly string[]): Promise<ReadonlyMap<string, SubjectKeyState>> {
    const kek = this.keys.keyEncryptionKey;
    if (!kek) return Promise.reject(new KeyStoreUnavailableError('opening a sealed subject'));
    return readSubjectKeys(this.trx, kek, referralIds);
  }

  private async run<T = Record<string, unknown>>(statement: string, bindings: readonly unknown[]): Promise<T[]> {
    return ((await this.trx.raw(statement, bindings as Knex.RawBinding[])) as { rows: T[] }).rows;
  }

  private insertRows(table: string, rows: readonly object[], conflict = ''): Promise<unknown> {
    return this.run(this.sql.insert(table, keysOf(rows), conflict), [JSON.stringify(rows)]);
  }

  async lockAggregates(keys: readonly string[]): Promise<void> {
    // Taken in one fixed order (by hash) so that two members of the group never deadlock on them.
    await this.run(
      'SELECT count(*) FROM (SELECT pg_advisory_xact_lock(h) FROM (SELECT hashtextextended(k, 0) AS h FROM unnest(?::text[]) AS k ORDER BY 1) AS ordered) AS locked',
      [keys.map((key) => `${this.sql.schema}:${key}`)],
    );
  }

  async recordProcessed(rows: readonly ProcessedEventRow[]): Promise<ReadonlySet<string>> {
    const inserted = await this.run<{ event_id: string }>(
      this.sql.insert(VIEW_TABLE.processed_events, keysOf(rows), 'ON CONFLICT (event_id) DO NOTHING', ['event_id']),
      [JSON.stringify(rows)],
    );
    return new Set(inserted.map((row) => row.event_id));
  }

  private select<T>(table: string, key: string, keyType: string, ids: readonly string[]): Promise<T[]> {
    return ids.length ? this.run<T>(this.sql.selectWhereIn(table, key, keyType), [ids]) : Promise.resolve([]);
  }

  async loadPrior(ids: {
    referralIds: readonly string[];
    gapIds: readonly string[];
    initiativeIds: readonly string[];
  }): Promise<PriorState> {
    const referralRows = await this.select<ReferralHistoryRow>(VIEW_TABLE.referral_history, 'referral_id', 'uuid', ids.referralIds);
    const gapRows = await this.select<ServiceGapEventRow>(VIEW_TABLE.service_gap_events, 'gap_id', 'uuid', ids.gapIds);
    const initiativeRows = await this.select<InitiativeRow>(VIEW_TABLE.initiatives, 'initiative_id', 'text', ids.initiativeIds);
    return {
      referralHistory: groupBy(referralRows, (row) => row.referral_id),
      gapHistory: groupBy(gapRows, (row) => row.gap_id),
      initiativeProgress: new Map(initiativeRows.map((row) => [row.initiative_id, progressOf(row)])),
    };
  }

  /**
   * Inserts per-event rows in one statement, then records, for each trace among them, a span
   * under that trace's apply span covering the statement: the trace shows where its rows were
   * written without costing a statement per trace.
   */
  private async insertEventRows<R extends { event_id: string; trace_id: string | null }>(
    table: string,
    rows: readonly R[],
    scopeOf: EventScope | undefined,
  ): Promise<void> {
    if (rows.length === 0) return;
    const statement = this.sql.insert(table, keysOf(rows));
    const startTime = new Date();
    await this.run(statement, [JSON.stringify(rows)]);
    if (!scopeOf) return;
    const endTime = new Date();
    const traced = new Set<string>();
    for (const row of rows) {
      if (!row.trace_id || traced.has(row.trace_id)) continue;
      const parent = scopeOf(row.event_id);
      if (!parent) continue;
      traced.add(row.trace_id);
      tracer
        .startSpan(
          `INSERT ${this.sql.schema}.${table}`,
          {
            kind: SpanKind.CLIENT,
            startTime,
            attributes: {
              [ATTR_DB_SYSTEM_NAME]: 'postgresql',
              [ATTR_DB_OPERATION_NAME]: 'INSERT',
              [ATTR_DB_COLLECTION_NAME]: `${this.sql.schema}.${table}`,
              [ATTR_DB_QUERY_TEXT]: asExecuted(statement),
              [ATTR_DB_OPERATION_BATCH_SIZE]: rows.length,
            },
          },
          parent,
        )
        .end(endTime);
    }
  }

  async carryOut(plan: BatchPlan, scopeOf?: EventScope): Promise<void> {
    await this.insertEventRows(VIEW_TABLE.referral_history, plan.referralHistory, scopeOf);
    if (plan.strippedReferrals.length) {
      await this.run(
        `UPDATE ${this.sql.table(VIEW_TABLE.referral_history)} SET payload = payload - ?::text[] WHERE referral_id = ANY(?::uuid[])`,
        [[...plan.strippedFields], plan.strippedReferrals],
      );
    }
    if (plan.referrals.length)
      await this.insertRows(
        VIEW_TABLE.referrals,
        plan.referrals,
        this.sql.mergeAll(VIEW_TABLE.referrals, keysOf(plan.referrals), ['referral_id']),
      );
    if (plan.refoldedReferrals.length)
      await this.run(`DELETE FROM ${this.sql.table(VIEW_TABLE.illegal_transitions)} WHERE referral_id = ANY(?::uuid[])`, [
        plan.refoldedReferrals,
      ]);
    if (plan.illegalTransitions.length) await this.insertRows(VIEW_TABLE.illegal_transitions, plan.illegalTransitions);
    if (plan.consentPurges.length)
      await this.insertRows(VIEW_TABLE.consent_purges, plan.consentPurges, 'ON CONFLICT (event_id) DO NOTHING');
    if (plan.erasures.length) {
      // The keys are destroyed and the receipts written in this transaction: with the purge, or not at all.
      if (!this.keys.keyEncryptionKey) throw new KeyStoreUnavailableError('applying a consent withdrawal');
      await shred(this.trx, this.keys.keyEncryptionKey, plan.erasures, this.sql.schema, this.keys.recordedBy ?? 'projector');
    }
    await this.insertEventRows(VIEW_TABLE.initiative_milestones, plan.milestones, scopeOf);
    if (plan.initiatives.length)
      await this.run(this.sql.update(VIEW_TABLE.initiatives, 'initiative_id', keysOf(plan.initiatives)), [
        JSON.stringify(plan.initiatives),
      ]);
    await this.insertEventRows(VIEW_TABLE.service_gap_events, plan.gapEvents, scopeOf);
    if (plan.serviceGaps.length)
      await this.insertRows(
        VIEW_TABLE.service_gaps,
        plan.serviceGaps,
        this.sql.mergeAll(VIEW_TABLE.service_gaps, keysOf(plan.serviceGaps), ['gap_id']),
      );
  }

  async recordDeadLetters(rows: readonly DeadLetterRow[]): Promise<readonly DeadLetterRow[]> {
    // New rows, and rows a rebuild recorded without publishing that this consumer has now published.
    const conflict = `ON CONFLICT (${DEAD_LETTER_KEY.join(', ')}) DO UPDATE SET published = excluded.published, dead_lettered_at = excluded.dead_lettered_at WHERE t.published = false AND excluded.published = true`;
    const changed = await this.run<Position>(this.sql.insert(VIEW_TABLE.dead_letters, keysOf(rows), conflict, DEAD_LETTER_KEY), [
      JSON.stringify(rows),
    ]);
    const keys = new Set(changed.map(positionKey));
    return rows.filter((row) => keys.has(positionKey(row)));
  }
}

export interface ViewRepositoryOptions {
  /**
   * PASSERELLE_KEY_ENCRYPTION_KEY: opens sealed subjects and destroys data keys on withdrawal.
   * Without it the repository can store legacy plaintext events only (and refuses the rest).
   */
  readonly keyEncryptionKey?: KeyEncryptionKey;
  /** Who the erasure receipts written through this repository name: the live projector (default) or a rebuild. */
  readonly recordedBy?: ErasureReceipt['recorded_by'];
  /** Told each time a transaction is retried (deadlock victim, serialization failure): work done twice, worth watching. */
  readonly onRetry?: (sqlState: string, attempt: number) => void;
}

/** The view in one PostgreSQL schema, its referrals keyed by `recordKeyOf` (see prepareView). */
export class ViewRepository implements ViewStore {
  private statements: Promise<RecordSetStatements> | undefined;

  constructor(
    private readonly db: Knex,
    readonly schema: string,
    readonly recordKeyOf: RecordKeyer,
    private readonly options: ViewRepositoryOptions = {},
  ) {}

  /** The statements for this schema's tables, built from the catalogue on first use. */
  private recordSets(): Promise<RecordSetStatements> {
    if (!this.statements) {
      const loading = readTableShapes(this.db, this.schema).then((shapes) => new RecordSetStatements(this.schema, shapes));
      // A failed read (database down) is tried again by the next transaction.
      loading.catch(() => (this.statements = undefined));
      this.statements = loading;
    }
    return this.statements;
  }

  /**
   * One transaction, holding the view's lock shared (a rebuild's switch waits for it) and
   * retried when PostgreSQL picked it as a deadlock victim.
   */
  async transaction<T>(work: (tx: ViewTransaction) => Promise<T>): Promise<T> {
    const statements = await this.recordSets();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(async (trx) => {
          await trx.raw('SELECT pg_advisory_xact_lock_shared(hashtextextended(?, 0))', [viewLockKey(this.schema)]);
          return work(new SqlViewTransaction(trx, statements, this.options));
        });
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt >= MAX_ATTEMPTS || !code || !RETRYABLE_SQL_STATES.has(code)) throw error;
        this.options.onRetry?.(code, attempt);
        await sleep(20 * attempt + Math.floor(Math.random() * 50));
      }
    }
  }

  readSubjectKeys(referralIds: readonly string[]): Promise<ReadonlyMap<string, SubjectKeyState>> {
    const kek = this.options.keyEncryptionKey;
    if (!kek) return Promise.reject(new KeyStoreUnavailableError('opening a sealed subject'));
    return readSubjectKeys(this.db, kek, referralIds);
  }

  /** Writes the catalogue's initiatives (titles, pillar, lead) without touching their progress. */
  async loadCatalogue(rows: readonly InitiativeRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db(qualified(this.schema, VIEW_TABLE.initiatives))
      .insert(rows.map(toDbRow))
      .onConflict('initiative_id')
      .merge(CATALOGUE_COLUMNS);
  }

  /**
   * Positions among `positions` whose dead letter was already published (so a redelivery does
   * not publish it again). A rebuild records without publishing; such rows do not count.
   */
  async publishedDeadLetters(positions: readonly { topic: string; partition: number; offset: number }[]): Promise<Set<string>> {
    if (positions.length === 0) return new Set();
    const rows = (await this.db(qualified(this.schema, VIEW_TABLE.dead_letters))
      .where({ published: true })
      .whereIn(
        ['source_topic', 'source_partition', 'source_offset'],
        positions.map((p) => [p.topic, p.partition, p.offset]),
      )
      .select('source_topic', 'source_partition', 'source_offset')) as Position[];
    return new Set(rows.map(positionKey));
  }
}
