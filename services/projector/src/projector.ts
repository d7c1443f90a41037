import { collectDefaultMetrics, Registry } from 'prom-client';
import { EventSerde, RegistryClient } from '@passerelle/contracts';
import { createDatabase, migrate, ping, type Knex } from '@passerelle/db';
import { createHttpApp, finishApp, listen } from '@passerelle/http';
import { consumerGroupLag, createKafka } from '@passerelle/kafka';
import { createLogger, type Logger } from '@passerelle/logging';
import { initiativesById, loadCatalogue, type Catalogue } from '@passerelle/schemas';
import type { ProjectorConfig } from './config.ts';
import { initiativeRowsOf } from './domain/initiative.projection.ts';
import { MIGRATIONS_TABLE, viewMigrations } from './data-access/view.migrations.ts';
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

/** Creates the view schema if needed and brings it to the latest migration; loads the catalogue. */
export async function prepareView(db: Knex, schema: string, catalogue: Catalogue = loadCatalogue(), options: ViewRepositoryOptions = {}): Promise<ViewRepository> {
  await migrate(db, viewMigrations, MIGRATIONS_TABLE, schema);
  const repository = new ViewRepository(db, schema, options);
  await repository.loadCatalogue(initiativeRowsOf(catalogue));
  return repository;
}

/**
 * The projector in one process: migrations, the consumer, and the HTTP surface for probes and
 * metrics. Tests start it in-process on port 0; main.ts starts it from the environment.
 */
export async function start(config: ProjectorConfig, options: StartOptions = {}): Promise<RunningProjector> {
  const logger = options.logger ?? createLogger({ service: 'projector', level: config.logLevel });
  const db = createDatabase({ url: config.databaseUrl, schema: config.viewSchema, applicationName: 'passerelle-projector' });
  const catalogue = options.catalogue ?? loadCatalogue();
  try {
    let metrics: ProjectorMetrics | undefined = undefined;
    const repository = await prepareView(db, config.viewSchema, catalogue, {
      onRetry: (sqlState, attempt) => {
        metrics?.transactionRetries.inc({ sql_state: sqlState });
        logger.warn({ sqlState, attempt }, 'view transaction retried');
      },
    });
    const kafka = createKafka({ clientId: 'passerelle-projector', brokers: config.kafkaBrokers, sasl: config.kafkaSasl, logger });
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
      readiness: [
        { name: 'database', required: true, check: () => ping(db) },
        { name: 'consumer', required: true, check: async () => running.readiness() },
      ],
    });
    finishApp(app, logger);
    const server = await listen(app, config.port);
    logger.info({ port: server.port, schema: config.viewSchema, groupId: config.consumerGroup, topics: running.topics.length }, 'projector started');

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
