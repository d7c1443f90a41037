import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kafka, Producer } from 'kafkajs';
import { EventSerde, MINISTRY_TOPIC_PREFIXES, RegistryClient, TOPIC_FAMILIES, type EventType } from '@passerelle/contracts';
import { TEST_KEY_ENCRYPTION_KEY_HEX } from '@passerelle/contracts/testing';
import { createDatabase, type Knex } from '@passerelle/db';
import { createIdempotentProducer, createKafka } from '@passerelle/kafka';
import type { TestDatabase, TestStack } from '@passerelle/testing';
import { createTestDatabase, kafkaEnvFor, kafkaOptionsFor, uniqueSuffix } from '@passerelle/testing';
import { DEFAULT_TOPIC_PATTERN, loadConfig, type ProjectorConfig } from '../config.ts';
import { start, type RunningProjector, type StartOptions } from '../projector.ts';
import { aggregateOf } from '../domain/batch-plan.ts';
import type { AcceptedEvent } from '../domain/view-model.ts';
import { runCli } from '../entry-points/cli.ts';
import { TEST_RECORD_KEY_SECRET } from './record-keys.ts';

/** The repository root, for spawning the projector's entry points in tests. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * Topics of one spec file: every `<ministry>.<family>.v1` under a unique namespace
 * (`t1a2b3c4.justice.referrals.v1`), plus its own dead-letter topic, so spec files running at
 * the same time on the shared broker never see each other's messages. No ACL covers these
 * namespaced names (the declared ACLs grant the projector principal the real ministry prefixes
 * only, proven by tests/security), so set-up and the projector under test connect as admin.
 */
export class TestTopics {
  readonly prefix = `t${uniqueSuffix()}.`;
  readonly deadLetterTopic = `${this.prefix}dead-letter.v1`;
  readonly kafka: Kafka;
  private readonly created: string[] = [];

  constructor(readonly stack: TestStack) {
    this.kafka = createKafka(kafkaOptionsFor(stack, 'admin', 'projector-test'));
  }

  /** Matches this file's ministry topics only. */
  get pattern(): string {
    return `^${this.prefix.replace(/\./g, '\\.')}${DEFAULT_TOPIC_PATTERN.slice(1)}`;
  }

  ministryTopics(except: readonly string[] = []): string[] {
    return Object.values(MINISTRY_TOPIC_PREFIXES)
      .flatMap((ministry) => TOPIC_FAMILIES.map((family) => `${this.prefix}${ministry}.${family}.v1`))
      .filter((topic) => !except.includes(topic));
  }

  async create(topics: readonly string[], partitions = 3): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
        waitForLeaders: true,
      });
      this.created.push(...topics);
    } finally {
      await admin.disconnect();
    }
  }

  async deleteAll(): Promise<void> {
    if (this.created.length === 0) return;
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: this.created }).catch(() => undefined);
    await admin.disconnect();
  }

  /** Projector configuration for this file's topics, database and group. */
  config(databaseUrl: string, overrides: Partial<ProjectorConfig> = {}): ProjectorConfig {
    return {
      ...loadConfig({
        PORT: '1',
        DATABASE_URL: databaseUrl,
        ...kafkaEnvFor(this.stack, 'admin'),
        PASSERELLE_REGISTRY_URL: this.stack.registryUrl,
        PASSERELLE_RECORD_KEY_SECRET: TEST_RECORD_KEY_SECRET,
        PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
        PASSERELLE_CONSUMER_GROUP: `projector-test-${this.prefix.slice(1, -1)}`,
        PASSERELLE_TOPIC_PATTERN: this.pattern,
        PASSERELLE_DEAD_LETTER_TOPIC: this.deadLetterTopic,
        LOG_LEVEL: 'warn',
      }),
      port: 0,
      topicRefreshMs: 1_000,
      ...overrides,
    };
  }

  /** The environment the projector's process and CLI read, for child processes. */
  env(databaseUrl: string, groupId: string): Record<string, string> {
    return {
      DATABASE_URL: databaseUrl,
      ...kafkaEnvFor(this.stack, 'admin'),
      PASSERELLE_REGISTRY_URL: this.stack.registryUrl,
      PASSERELLE_RECORD_KEY_SECRET: TEST_RECORD_KEY_SECRET,
      PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
      PASSERELLE_CONSUMER_GROUP: groupId,
      PASSERELLE_TOPIC_PATTERN: this.pattern,
      PASSERELLE_DEAD_LETTER_TOPIC: this.deadLetterTopic,
      LOG_LEVEL: 'warn',
    };
  }
}

/** Encodes events with the registered subjects (as adapters do) and produces them to their own topics. */
export class EventProducer {
  readonly serde: EventSerde;
  private readonly producer: Producer;

  constructor(
    kafka: Kafka,
    readonly stack: TestStack,
  ) {
    this.serde = new EventSerde(new RegistryClient({ url: stack.registryUrl }));
    this.producer = createIdempotentProducer(kafka);
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }

  async encode(event: AcceptedEvent): Promise<Buffer> {
    return this.serde.encode(event.type as EventType, event.payload as never);
  }

  /** Sends events, keyed by their referral, gap or initiative id, with the envelope's traceparent as header. */
  async produce(events: readonly AcceptedEvent[], batchSize = 500): Promise<void> {
    for (let i = 0; i < events.length; i += batchSize) {
      const slice = events.slice(i, i + batchSize);
      const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
      for (const event of slice) {
        const envelope = (event.payload as { envelope: { traceparent: string | null } }).envelope;
        const messages = byTopic.get(event.position.topic) ?? [];
        messages.push({
          key: aggregateOf(event).id,
          value: await this.encode(event),
          headers: envelope.traceparent ? { traceparent: envelope.traceparent } : {},
        });
        byTopic.set(event.position.topic, messages);
      }
      await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    }
  }

  async sendRaw(
    topic: string,
    key: string,
    value: Buffer,
    headers: Record<string, string> = {},
  ): Promise<{ partition: number; offset: string }> {
    const [meta] = await this.producer.send({ topic, acks: -1, messages: [{ key, value, headers }] });
    return { partition: meta?.partition ?? -1, offset: meta?.baseOffset ?? '-1' };
  }
}

export interface ProjectorFixtureOptions {
  /** The spec file's topics, made at collection time so its events can name them. */
  readonly topics: TestTopics;
  /** Prefix of the spec file's own database. */
  readonly databasePrefix: string;
  /** Ministry topics left out at start, for a spec that creates them while the projector runs. */
  readonly withoutTopics?: readonly string[];
  /** Options of the projector started first (another catalogue, for instance). */
  readonly start?: StartOptions;
}

/** What a projector integration spec runs against: its own database and topics, a producer, the projector under test. */
export interface ProjectorFixture {
  readonly database: TestDatabase;
  /** A pool on the spec file's database, for reading the view. */
  readonly db: Knex;
  readonly producer: EventProducer;
  /** The configuration the projector was first started with. */
  readonly config: ProjectorConfig;
  /** The projector running now. */
  readonly projector: RunningProjector;
  /** Stops the running projector and starts another, with the first configuration unless given another. */
  restart(config?: ProjectorConfig, options?: StartOptions): Promise<RunningProjector>;
  /** Stops the projector and the producer, closes the pool, deletes the topics and drops the database. */
  stop(): Promise<void>;
}

/**
 * Creates the spec file's database and topics (every ministry topic and the dead-letter topic),
 * connects a producer and starts the projector on them in-process. If a step fails, what the steps
 * before it made is released before the error is thrown, as the spec never receives a fixture to stop.
 */
export async function startProjectorFixture(options: ProjectorFixtureOptions): Promise<ProjectorFixture> {
  const { topics } = options;
  let database: TestDatabase | undefined;
  let db: Knex | undefined;
  let producer: EventProducer | undefined;
  let projector: RunningProjector | undefined;
  const stop = async (): Promise<void> => {
    await projector?.stop();
    await producer?.disconnect();
    await db?.destroy();
    await topics.deleteAll();
    await database?.drop();
  };
  try {
    database = await createTestDatabase(topics.stack.databaseUrl, options.databasePrefix);
    db = createDatabase({ url: database.url });
    await topics.create([...topics.ministryTopics(options.withoutTopics), topics.deadLetterTopic]);
    producer = new EventProducer(topics.kafka, topics.stack);
    await producer.connect();
    const config = topics.config(database.url);
    projector = await start(config, options.start);
    return {
      database,
      db,
      producer,
      config,
      get projector(): RunningProjector {
        if (projector === undefined) throw new Error('the projector is not running: its last restart failed');
        return projector;
      },
      async restart(next = config, startOptions) {
        await projector?.stop();
        projector = undefined;
        projector = await start(next, startOptions);
        return projector;
      },
      stop,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

export { waitFor } from '@passerelle/testing';

/** What an operator command printed, and its exit code. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `npm run projector -- <args>` in-process against a spec file's topics and database, capturing its output. */
export async function runProjectorCli(topics: TestTopics, fixture: ProjectorFixture, args: readonly string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, topics.env(fixture.database.url, fixture.config.consumerGroup), {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
