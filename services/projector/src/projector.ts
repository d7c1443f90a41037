import { collectDefaultMetrics, Registry } from 'prom-client';
import { EventSerde, RegistryClient } from '@passerelle/contracts';
import { createDatabase, migrate, migrateKeyStore, ping, type Knex } from '@passerelle/db';
import { createHttpApp, finishApp, listen } from '@passerelle/http';
import { consumerGroupLag, createKafka, kafkaAccessOf } from '@passerelle/kafka';
import { createLogger, type Logger } from '@passerelle/logging';
import { initiativesById, loadCatalogue, type Catalogue } from '@passerelle/schemas';
import type { ProjectorConfig } from './config.ts';
import { initiativeRowsOf } from './domain/initiative.projection.ts';
import { recordKeyerOf, recordKeyFingerprint, RecordKeySecretChangedError, type RecordKeyer } from './domain/record-key.ts';
import {
  claimRecordKeyFingerprint,
  completeRecordKeys,
  readRecordKeyFingerprint,
  rewriteRecordKeys,
} from './data-access/record-keys.repository.ts';
import { MIGRATIONS_TABLE, viewMigrations } from '@passerelle/coordination-view';
import { ViewRepository, type ViewRepositoryOptions } from './data-access/view.repository.ts';
import { countIllegalTransitions, countPendingReferrals } from './data-access/view-snapshot.repository.ts';
import { ProjectorConsumer, type ChunkProgress } from './entry-points/projector-consumer.ts';
import { ProjectorMetrics } from './entry-points/projector-metrics.ts';

export interface RunningProjector {
  readonly url: string;
  readonly port: number;
  readonly consumer: ProjectorConsumer;
  /** Stops consuming after the chunk in flight, commits, closes the HTTP server and the pool. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  readonly onProgress?: (progress: ChunkProgress) => void;
  /** The strategy catalogue; schemas/catalogue/strategies.json unless a test supplies another version. */
  readonly catalogue?: Catalogue;
}

export interface PrepareViewOptions extends ViewRepositoryOptions {
  /** PASSERELLE_RECORD_KEY_SECRET: the view's record keys are computed with it, and with no other. */
  readonly recordKeySecret: string;
  /** The strategy catalogue; schemas/catalogue/strategies.json unless a test supplies another version. */
  readonly catalogue?: Catalogue;
  readonly logger?: Logger;
}

/** Refuses a secret other than the one the view's keys were computed with (a view without keys yet takes any). */
export async function checkRecordKeySecret(db: Knex, schema: string, secret: string): Promise<void> {
  const stored = await readRecordKeyFingerprint(db, schema);
  const configured = recordKeyFingerprint(secret);
  if (stored !== undefined && stored !== configured) throw new RecordKeySecretChangedError(schema, stored, configured);
}

/**
 * Binds the view to the secret: records its fingerprint on first use or refuses a different one
 * (RecordKeySecretChangedError), then keys the referrals a view from before record keys holds.
 */
async function keyView(db: Knex, schema: string, secret: string, logger: Logger | undefined): Promise<RecordKeyer> {
  const configured = recordKeyFingerprint(secret);
  const stored = await claimRecordKeyFingerprint(db, schema, configured);
  if (stored !== configured) throw new RecordKeySecretChangedError(schema, stored, configured);
  const recordKeyOf = recordKeyerOf(secret);
  const keyed = await completeRecordKeys(db, schema, recordKeyOf);
  if (keyed > 0) logger?.info({ schema, referrals: keyed }, 'record keys computed for the referrals the view held without one');
  return recordKeyOf;
}

/**
 * Creates the view schema if needed and brings it to the latest migration, checks the record-key
 * secret against the view's and keys any referral without a key (before anything is consumed);
 * loads the catalogue.
 */
export async function prepareView(db: Knex, schema: string, options: PrepareViewOptions): Promise<ViewRepository> {
  // With a key-encryption key the view opens and destroys data keys: the key store (and its receipts) first.
  if (options.keyEncryptionKey) await migrateKeyStore(db);
  await migrate(db, viewMigrations, MIGRATIONS_TABLE, schema);
  return openView(db, schema, options);
}

/**
 * prepareView without the migrations, for the projector's own role once the migrator has run
 * prepareView: checks the secret's fingerprint, keys nothing left to key, loads the catalogue.
 */
export async function openView(db: Knex, schema: string, options: PrepareViewOptions): Promise<ViewRepository> {
  const recordKeyOf = await keyView(db, schema, options.recordKeySecret, options.logger);
  const repository = new ViewRepository(db, schema, recordKeyOf, {
    onRetry: options.onRetry,
    keyEncryptionKey: options.keyEncryptionKey,
    recordedBy: options.recordedBy,
  });
  await repository.loadCatalogue(initiativeRowsOf(options.catalogue ?? loadCatalogue()));
  return repository;
}

export interface RekeyReport {
  /** Fingerprints of the secret before (none for a view never keyed) and now. */
  readonly previous: string | undefined;
  readonly current: string;
  /** Referrals whose key was (re)computed: with the secret the view already had, only those still without one. */
  readonly keyed: number;
}

/**
 * The deliberate rotation: recomputes every record key with `secret` and records its fingerprint,
 * in one transaction. Every projector of the view must be stopped first (one still running keeps
 * the old secret for the referrals it creates) and started with the new secret after.
 */
export async function rekeyView(db: Knex, schema: string, secret: string): Promise<RekeyReport> {
  await migrate(db, viewMigrations, MIGRATIONS_TABLE, schema);
  const current = recordKeyFingerprint(secret);
  const previous = await readRecordKeyFingerprint(db, schema);
  if (previous === current) return { previous, current, keyed: await completeRecordKeys(db, schema, recordKeyerOf(secret)) };
  return { previous, current, keyed: await rewriteRecordKeys(db, schema, recordKeyerOf(secret), current) };
}

/**
 * The projector in one process: migrations, the consumer, and the HTTP surface for probes and
 * metrics. Tests start it in-process on port 0; main.ts starts it from the environment.
 */
export async function start(config: ProjectorConfig, options: StartOptions = {}): Promise<RunningProjector> {
  const logger = options.logger ?? createLogger({ service: 'projector', level: config.logLevel });
  const catalogue = options.catalogue ?? loadCatalogue();
  // DDL (migrations, the record-key constraint) as the migrator; the live pool only reads and writes rows.
  const migrator = createDatabase({
    url: config.migrationDatabaseUrl ?? config.databaseUrl,
    schema: config.viewSchema,
    poolMax: 1,
    applicationName: 'passerelle-projector-migrate',
  });
  try {
    await prepareView(migrator, config.viewSchema, {
      recordKeySecret: config.recordKeySecret,
      keyEncryptionKey: config.keyEncryptionKey,
      catalogue,
      logger,
    });
  } finally {
    await migrator.destroy();
  }
  const db = createDatabase({ url: config.databaseUrl, schema: config.viewSchema, applicationName: 'passerelle-projector' });
  try {
    let metrics: ProjectorMetrics | undefined = undefined;
    const repository = await openView(db, config.viewSchema, {
      recordKeySecret: config.recordKeySecret,
      catalogue,
      logger,
      keyEncryptionKey: config.keyEncryptionKey,
      onRetry: (sqlState, attempt) => {
        metrics?.transactionRetries.inc({ sql_state: sqlState });
        logger.warn({ sqlState, attempt }, 'view transaction retried');
      },
    });
    const kafka = createKafka({ clientId: 'passerelle-projector', ...kafkaAccessOf(config), logger });
    const lagAdmin = kafka.admin();
    await lagAdmin.connect();

    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    let consumer: ProjectorConsumer | undefined = undefined;
    metrics = new ProjectorMetrics(registry, {
      lag: () => consumerGroupLag(lagAdmin, config.consumerGroup, consumer?.topics ?? []),
      illegalTransitions: () => countIllegalTransitions(db, config.viewSchema),
      pendingReferrals: () => countPendingReferrals(db, config.viewSchema),
    });
    consumer = new ProjectorConsumer({
      kafka,
      groupId: config.consumerGroup,
      topicPattern: config.topicPattern,
      deadLetterTopic: config.deadLetterTopic,
      publishDeadLetters: true,
      serde: new EventSerde(new RegistryClient({ url: config.registryUrl })),
      initiatives: initiativesById(catalogue),
      repository,
      logger,
      metrics,
      tuning: config,
      onProgress: options.onProgress,
    });
    const running = consumer;
    await running.start();

    const { app } = createHttpApp({
      service: 'projector',
      logger,
      metrics: registry,
      metricsToken: config.metricsToken,
      readiness: [
        { name: 'database', required: true, check: () => ping(db) },
        { name: 'consumer', required: true, check: async () => running.readiness() },
      ],
    });
    finishApp(app, logger);
    const server = await listen(app, config.port);
    logger.info(
      { port: server.port, schema: config.viewSchema, groupId: config.consumerGroup, topics: running.topics.length },
      'projector started',
    );

    return {
      url: server.url,
      port: server.port,
      consumer: running,
      async stop() {
        await running.stop();
        await server.stop(5_000);
        await lagAdmin.disconnect().catch(() => undefined);
        await db.destroy();
        logger.info('projector stopped');
      },
    };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
