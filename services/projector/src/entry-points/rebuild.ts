import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import { EventSerde, RegistryClient, type KeyEncryptionKey } from '@passerelle/contracts';
import { createDatabase, type Knex } from '@passerelle/db';
import { createKafka, kafkaAccessOf, highWatermarks } from '@passerelle/kafka';
import { createLogger, type Logger } from '@passerelle/logging';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import type { ProjectorConfig } from '../config.ts';
import { checkRecordKeySecret, prepareView } from '../projector.ts';
import { initiativeRowsOf } from '../domain/initiative.projection.ts';
import type { RecordKeyer } from '../domain/record-key.ts';
import { VIEW_TABLE, VIEW_TABLES } from '@passerelle/coordination-view';
import { ViewState } from '../data-access/view-state.ts';
import { BulkViewWriter, type BulkLoadReport } from '../data-access/bulk-view.ts';
import { FoldWindow } from '../data-access/fold-window.ts';
import { createStage, dropStage, readStage, StageWriter } from '../data-access/rebuild-stage.ts';
import { subjectKeyReader } from '../data-access/key-store.repository.ts';
import type { TableDifference } from '../data-access/view-snapshot.repository.ts';
import {
  dropSchema,
  listViewSchemas,
  rebuildLockKey,
  switchViewSchemas,
  type SwitchCheck,
} from '../data-access/view-schemas.repository.ts';
import { ProjectorConsumer, type ChunkProgress, type ProjectorConsumerOptions } from './projector-consumer.ts';
import { scanIntoStage, type Watermarks } from './rebuild-scan.ts';

export interface RebuildProgress {
  /** Replaying (into the stage up to the watermarks taken at the start, then into PostgreSQL), loading (folding the stage into the view), switching. */
  readonly phase: 'replaying' | 'loading' | 'switching';
  /** Messages handled so far (applied, dropped as duplicates, or dead-lettered). */
  readonly events: number;
  readonly eventsPerSecond: number;
  /** Messages between the rebuild's position and the topics' ends (while staging: the watermarks taken at the start). */
  readonly lag: number;
  readonly elapsedMs: number;
  /** While loading: staged entries (events and dead letters) folded and written so far, and in all. */
  readonly rowsWritten?: number;
  readonly rowsTotal?: number;
  /** Resident set size of the process: flat while loading, whatever the number of events (one fold window at a time). */
  readonly rssBytes: number;
}

export interface RebuildOptions {
  readonly logger?: Logger;
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Refuse to switch unless the rebuilt view equals the live one table by table (bookkeeping aside). */
  readonly expectIdentical?: boolean;
  /**
   * Keep the previous view under `<view>_retired_<stamp>` after the switch, or a rebuilt view that
   * failed verification, for a comparison by hand (the next rebuild drops them). By default both
   * are dropped: a second copy of person-level data is one a consent withdrawal may not reach.
   */
  readonly keepPrevious?: boolean;
  readonly progressIntervalMs?: number;
  readonly maxSwitchAttempts?: number;
  /** Staged entries (events and dead letters) one fold window gathers before it is written (default DEFAULT_WINDOW_ENTRIES). */
  readonly windowEntries?: number;
}

export interface RebuildReport {
  /** The name the view was built under; once switched, it carries the live name. */
  readonly rebuiltSchema: string;
  readonly liveSchema: string;
  /** The previous view, kept under this name with `keepPrevious` (absent otherwise, or if there was none). */
  readonly retiredSchema: string | undefined;
  /** Whether a previous view existed and was dropped after the switch. */
  readonly previousDropped: boolean;
  /** Schemas of earlier rebuilds (abandoned, or retired views kept before) dropped before this one started. */
  readonly abandonedDropped: readonly string[];
  readonly consumerGroup: string;
  readonly events: number;
  readonly durationMs: number;
  readonly eventsPerSecond: number;
  readonly check: SwitchCheck;
  readonly identical: boolean;
  readonly switched: boolean;
  /** The staged replay and its bulk write, when the topics held events at the start. */
  readonly bulk: BulkReport | undefined;
  /** Largest resident set size seen at a progress report. */
  readonly peakRssBytes: number;
}

export interface BulkReport {
  readonly events: number;
  /** Reading the topics into the stage. */
  readonly replayMs: number;
  /** Folding the stage and writing the view, keys, indexes and ANALYZE included. */
  readonly loadMs: number;
  /** The most staged entries one fold window held: the window size plus at most one aggregate's events. */
  readonly largestWindow: number;
  readonly load: BulkLoadReport;
}

export class RebuildVerificationError extends Error {
  readonly code = 'REBUILD_NOT_IDENTICAL';
  readonly retryable = false;

  constructor(readonly report: RebuildReport) {
    super(
      `the rebuilt view ${report.rebuiltSchema} differs from the live one, so it was not switched in:\n` +
        report.check.differences
          .filter((d) => d.onlyInA + d.onlyInB > 0)
          .map((d) => `  ${d.table}: ${d.onlyInA} rows only in the live view, ${d.onlyInB} only in the rebuilt one`)
          .join('\n'),
    );
    this.name = 'RebuildVerificationError';
  }
}

/**
 * Entries a fold window gathers before it is written: the rebuild's memory is two such windows
 * (one folding, one being written; about 1.6 KB of resident memory per event), not the topics' size.
 */
export const DEFAULT_WINDOW_ENTRIES = 50_000;

const isIdentical = (differences: readonly TableDifference[]) => differences.every((d) => d.onlyInA === 0 && d.onlyInB === 0);

/** Messages per chunk while staging: a chunk costs no transaction there. */
const BULK_CHUNK_SIZE = 5_000;
/** Entries per apply while folding; between two, the window being written sends its rows. */
const FOLD_CHUNK_SIZE = 1_000;

/** What both phases of the replay share: the consumer's settings, where it is, how much it handled. */
interface ReplayContext {
  readonly consumerOptions: Omit<ProjectorConsumerOptions, 'groupId' | 'repository' | 'tuning' | 'onProgress'>;
  readonly tuning: ProjectorConsumerOptions['tuning'];
  /** Next offset to read, by `<topic>:<partition>`: everything before it is in the view being built. */
  readonly positions: Map<string, number>;
  counted(chunk: ChunkProgress): void;
  report(phase: RebuildProgress['phase'], lag: number, rows?: { written: number; total: number }): void;
}

const lagTo = (marks: Watermarks, positions: ReadonlyMap<string, number>) => {
  let lag = 0;
  for (const [key, mark] of marks) lag += Math.max(0, mark.high - Math.max(mark.low, positions.get(key) ?? mark.low));
  return lag;
};

async function topicWatermarks(admin: Admin, pattern: RegExp): Promise<Watermarks> {
  const topics = (await admin.listTopics()).filter((topic) => pattern.test(topic)).sort();
  return highWatermarks(admin, topics);
}

/**
 * Commits offsets for a consumer group that has no running member, in one group join. (The
 * admin client's setOffsets joins the group once per topic and waits for a fetch each time.)
 * Messages fetched while joining are ignored and their offsets never committed.
 */
async function commitGroupOffsets(kafka: Kafka, groupId: string, offsets: ReadonlyMap<string, number>): Promise<void> {
  const entries = [...offsets].map(([key, offset]) => {
    const at = key.lastIndexOf(':');
    return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)), offset: String(offset) };
  });
  if (entries.length === 0) return;
  const topics = [...new Set(entries.map((entry) => entry.topic))];
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
    consumer.pause(topics.map((topic) => ({ topic })));
    await consumer.commitOffsets(entries);
  } finally {
    await consumer.disconnect();
  }
}

/**
 * The bulk phase, in memory bounded whatever the topics hold. First every topic is read up to the
 * watermarks taken at the start and what the live projector would accept or dead-letter is staged
 * in PostgreSQL (rebuild-scan.ts, data-access/rebuild-stage.ts). Then one transaction reads the
 * stage back deduplicated and sorted by aggregate, folds it a window of aggregates at a time with
 * the live projector's `applyEvents` (data-access/fold-window.ts), COPYs each window into the fresh
 * schema and forgets it, rebuilds keys and indexes, and drops the stage. Only then are the
 * positions the scan reached committed as the rebuild group's offsets: the scan reads under a
 * throwaway group of its own, so a crash anywhere before leaves the rebuild group without offsets.
 */
async function replayInBulk(
  replay: ReplayContext,
  target: {
    db: Knex;
    schema: string;
    recordKeyOf: RecordKeyer;
    keyEncryptionKey: KeyEncryptionKey;
    kafka: Kafka;
    admin: Admin;
    groupId: string;
    logger: Logger;
  },
  marks: Watermarks,
  progressIntervalMs: number,
  windowEntries: number,
): Promise<BulkReport> {
  const began = Date.now();
  const subjectKeys = subjectKeyReader(target.db, target.keyEncryptionKey);
  let events = 0;
  const bulkGroup = `${target.groupId}-bulk`;
  await createStage(target.db, target.schema);
  const stage = await StageWriter.open(target.db, target.schema);
  try {
    await scanIntoStage({
      kafka: target.kafka,
      groupId: bulkGroup,
      serde: replay.consumerOptions.serde,
      initiatives: replay.consumerOptions.initiatives,
      readSubjectKeys: subjectKeys,
      stage,
      marks,
      chunkSize: Math.max(replay.tuning.chunkSize, BULK_CHUNK_SIZE),
      partitionsConsumedConcurrently: replay.tuning.partitionsConsumedConcurrently,
      onChunk: (chunk) => {
        replay.counted(chunk);
        events += chunk.applied + chunk.duplicates + chunk.deadLetters;
      },
      onTick: () => replay.report('replaying', lagTo(marks, replay.positions)),
      progressIntervalMs,
    });
  } finally {
    await stage.close();
    await target.admin.deleteGroups([bulkGroup]).catch(() => undefined);
  }
  const replayMs = Date.now() - began;
  // The scan is over: these positions are exactly what the stage holds.
  const reachedPositions = new Map(replay.positions);
  target.logger.info({ events, staged: stage.entries, replayMs, rssBytes: process.memoryUsage.rss() }, 'replay staged; folding it');

  let lastReport = 0;
  let largestWindow = 0;
  const staged = stage.entries;
  const loadBegan = Date.now();
  const load = await target.db.transaction(async (trx) => {
    const writer = await BulkViewWriter.start(trx, target.schema);
    const state = new ViewState(initiativeRowsOf(loadCatalogue()), target.recordKeyOf, subjectKeys);
    const report = () => {
      if (Date.now() - lastReport < progressIntervalMs && window.entries < staged) return;
      lastReport = Date.now();
      replay.report('loading', 0, { written: window.entries, total: staged });
    };
    const window = new FoldWindow(state, {
      maxEntries: windowEntries,
      chunkSize: FOLD_CHUNK_SIZE,
      now: Date.now(),
      write: async (folded) => {
        await writer.append(folded, FOLDED_TABLES);
        await writer.shred(folded.erasures(), target.keyEncryptionKey);
      },
    });
    for await (const entry of readStage(target.db, target.schema)) {
      await window.add(entry);
      report();
    }
    await window.end();
    // The catalogue's rows last: every window's milestones have moved their progress on.
    await writer.append(state, [VIEW_TABLE.initiatives]);
    report();
    await dropStage(trx, target.schema);
    const loaded = await writer.finish();
    await completeBulkView(trx, target.schema);
    largestWindow = window.largestWindow;
    return loaded;
  });
  const loadMs = Date.now() - loadBegan;
  target.logger.info({ ...load, loadMs, largestWindow, windowEntries }, 'view written in bulk');

  // Only now may the rebuild group start where the replay stopped: the rows before it are committed.
  await commitGroupOffsets(target.kafka, target.groupId, reachedPositions);
  return { events, replayMs, loadMs, largestWindow, load };
}

/** Every view table but the initiatives': what a fold window writes and forgets. */
const FOLDED_TABLES = VIEW_TABLES.filter((table) => table !== VIEW_TABLE.initiatives);

/**
 * The last step of the bulk load, in its transaction, after keys and indexes are back and before
 * the rows are committed (the catch-up and the switch come after): what is derived from the
 * loaded rows as a whole, rather than event by event, is computed here. The projector's
 * aggregate tables go here: `await recountAggregates(trx, schema)`.
 */
async function completeBulkView(_trx: Knex.Transaction, _schema: string): Promise<void> {}

/**
 * Rebuilds the view from offset 0 of every matching topic into a fresh schema, with a consumer
 * group of its own, while the live projector keeps serving and writing the current view. What
 * the topics hold when it starts is staged, folded and written in bulk (replayInBulk); what
 * arrives after is applied through the live projector's SQL path until the rebuild has caught
 * up with the topics' ends. Then one transaction holding the live view's lock checks that the
 * rebuilt view holds every event the live view applied, compares the two table by table, and
 * renames the schemas. If the live view applied something the rebuild has not yet seen, the
 * rebuild catches up again and retries. A rebuild that dies leaves its `<view>_rebuild_<stamp>`
 * schema unswitched; `status` lists such schemas, and dropping one is safe.
 */
export async function runRebuild(config: ProjectorConfig, options: RebuildOptions = {}): Promise<RebuildReport> {
  const logger = options.logger ?? createLogger({ service: 'projector-rebuild', level: config.logLevel });
  const stamp = `${new Date()
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14)}_${randomBytes(2).toString('hex')}`;
  const names = {
    live: config.viewSchema,
    rebuilt: `${config.viewSchema}_rebuild_${stamp}`,
    retired: `${config.viewSchema}_retired_${stamp}`,
  };
  const groupId = `${config.consumerGroup}-rebuild-${stamp}`;
  const began = Date.now();
  const progressIntervalMs = options.progressIntervalMs ?? 1_000;
  // A rebuild creates, renames and drops schemas: it runs as the migrator (docs/database-roles.md).
  const migrationUrl = config.migrationDatabaseUrl ?? config.databaseUrl;
  const db = createDatabase({ url: migrationUrl, schema: names.rebuilt, applicationName: 'passerelle-projector-rebuild' });
  const kafka = createKafka({ clientId: 'passerelle-projector-rebuild', ...kafkaAccessOf(config), logger });
  const admin = kafka.admin();
  const positions = new Map<string, number>();
  let events = 0;
  let peakRssBytes = 0;
  const progress = (phase: RebuildProgress['phase'], lag: number, rows?: { written: number; total: number }): RebuildProgress => {
    const elapsedMs = Date.now() - began;
    const rssBytes = process.memoryUsage.rss();
    peakRssBytes = Math.max(peakRssBytes, rssBytes);
    return {
      phase,
      events,
      eventsPerSecond: elapsedMs > 0 ? Math.round((events / elapsedMs) * 1000) : 0,
      lag,
      elapsedMs,
      ...(rows ? { rowsWritten: rows.written, rowsTotal: rows.total } : {}),
      rssBytes,
    };
  };

  // One rebuild at a time: a session lock held for the whole run, on a connection of its own.
  const lockDb = createDatabase({ url: migrationUrl, poolMax: 1, applicationName: 'passerelle-projector-rebuild-lock' });
  let switched = false;
  let keptForInspection = false;
  try {
    await lockRebuilds(lockDb, names.live);
    const abandonedDropped = await dropEarlierRebuilds(db, names.live);
    if (abandonedDropped.length > 0) logger.info({ schemas: abandonedDropped }, 'dropped the schemas of earlier rebuilds');
    // A rebuild keys every referral afresh: with another secret than the live view's, switching it in would rotate the secret.
    await checkRecordKeySecret(db, names.live, config.recordKeySecret);
    const repository = await prepareView(db, names.rebuilt, {
      recordKeySecret: config.recordKeySecret,
      keyEncryptionKey: config.keyEncryptionKey,
      recordedBy: 'rebuild',
    });
    await admin.connect();
    const replay: ReplayContext = {
      consumerOptions: {
        kafka,
        topicPattern: config.topicPattern,
        deadLetterTopic: config.deadLetterTopic,
        publishDeadLetters: false,
        serde: new EventSerde(new RegistryClient({ url: config.registryUrl })),
        initiatives: initiativesById(loadCatalogue()),
        logger,
      },
      tuning: { ...config, topicRefreshMs: Math.min(config.topicRefreshMs, 5_000) },
      positions,
      counted: (chunk) => {
        positions.set(`${chunk.topic}:${chunk.partition}`, chunk.nextOffset);
        events += chunk.applied + chunk.duplicates + chunk.deadLetters;
      },
      report: (phase, lag, rows) => options.onProgress?.(progress(phase, lag, rows)),
    };
    logger.info({ schema: names.rebuilt, groupId }, 'rebuild started');

    const marks = await topicWatermarks(admin, config.topicPattern);
    const bulk =
      lagTo(marks, positions) > 0
        ? await replayInBulk(
            replay,
            {
              db,
              schema: names.rebuilt,
              recordKeyOf: repository.recordKeyOf,
              keyEncryptionKey: config.keyEncryptionKey,
              kafka,
              admin,
              groupId,
              logger,
            },
            marks,
            progressIntervalMs,
            options.windowEntries ?? DEFAULT_WINDOW_ENTRIES,
          )
        : undefined;

    for (let attempt = 1; ; attempt++) {
      const consumer = new ProjectorConsumer({
        ...replay.consumerOptions,
        groupId,
        repository,
        tuning: replay.tuning,
        onProgress: replay.counted,
      });
      await consumer.start();
      try {
        for (;;) {
          const lag = lagTo(await highWatermarks(admin, consumer.topics), positions);
          replay.report('replaying', lag);
          if (lag === 0) break;
          await sleep(progressIntervalMs);
        }
      } finally {
        // Stopped before the switch: after the rename its schema name no longer exists.
        await consumer.stop();
      }

      replay.report('switching', 0);
      const result = await switchViewSchemas(db, names, (check) => {
        if (!options.expectIdentical) return 'switch';
        if (check.extra > 0) return 'retry'; // the live view has not reached the end yet: let it catch up
        return isIdentical(check.differences) ? 'switch' : 'abort';
      });
      const final = progress('switching', 0);
      const report: RebuildReport = {
        rebuiltSchema: names.rebuilt,
        liveSchema: names.live,
        retiredSchema: undefined,
        previousDropped: false,
        abandonedDropped,
        consumerGroup: groupId,
        events,
        durationMs: Date.now() - began,
        eventsPerSecond: final.eventsPerSecond,
        check: result.check,
        identical: result.check.missing === 0 && result.check.extra === 0 && isIdentical(result.check.differences),
        switched: result.outcome === 'switched',
        bulk,
        peakRssBytes,
      };
      if (result.outcome === 'switched') {
        switched = true;
        const liveExisted = result.liveExisted;
        const keep = liveExisted && options.keepPrevious === true;
        if (liveExisted && !keep) await dropSchema(db, names.retired);
        logger.info(
          {
            schema: names.live,
            retired: keep ? names.retired : undefined,
            previousDropped: liveExisted && !keep,
            events,
            durationMs: report.durationMs,
            identical: report.identical,
          },
          'rebuild switched in',
        );
        await admin.deleteGroups([groupId]).catch(() => undefined);
        return { ...report, retiredSchema: keep ? names.retired : undefined, previousDropped: liveExisted && !keep };
      }
      if (result.outcome === 'abort') {
        keptForInspection = options.keepPrevious === true;
        throw new RebuildVerificationError(report);
      }
      if (attempt >= (options.maxSwitchAttempts ?? 20))
        throw new Error(
          `the rebuild could not catch up with the live view after ${attempt} attempts (missing ${result.check.missing}, extra ${result.check.extra})`,
        );
      logger.info(
        { missing: result.check.missing, extra: result.check.extra, attempt },
        'views not aligned yet; catching up before switching',
      );
      await sleep(1_000);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
    // A rebuild that did not switch leaves nothing behind (one killed outright is dropped by the next).
    if (!switched && !keptForInspection)
      await dropSchema(db, names.rebuilt).catch((error: unknown) =>
        logger.warn({ schema: names.rebuilt, error: (error as Error).message }, 'could not drop the unswitched rebuild schema'),
      );
    await db.destroy();
    await lockDb.destroy();
  }
}

/** Another rebuild of the same view is running: refused rather than raced. */
export class RebuildInProgressError extends Error {
  constructor(live: string) {
    super(`another rebuild of the view ${live} is running; wait for it to finish`);
    this.name = 'RebuildInProgressError';
  }
}

async function lockRebuilds(lockDb: Knex, live: string): Promise<void> {
  const { rows } = await lockDb.raw<{ rows: { locked: boolean }[] }>('SELECT pg_try_advisory_lock(hashtextextended(?, 0)) AS locked', [
    rebuildLockKey(live),
  ]);
  if (!rows[0]?.locked) throw new RebuildInProgressError(live);
}

/** With the rebuild lock held, any rebuild schema is abandoned and any retired view is left over: both go. */
async function dropEarlierRebuilds(db: Knex, live: string): Promise<string[]> {
  const schemas = await listViewSchemas(db, live);
  const earlier = [...schemas.rebuilding, ...schemas.retired];
  for (const schema of earlier) await dropSchema(db, schema);
  return earlier;
}
