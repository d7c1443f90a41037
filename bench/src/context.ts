import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Kafka } from 'kafkajs';
import { EventSerde, MINISTRY_TOPIC_PREFIXES, RegistryClient, TOPIC_FAMILIES } from '@passerelle/contracts';
import { createDatabase, type Knex } from '@passerelle/db';
import { REPO_ROOT, down, endpointsOf, loadStackConfig, provisionEndpoints, up } from '@passerelle/infra';
import { ensureDatabase } from '@passerelle/pg-admin';
import { createKafka } from '@passerelle/kafka';
import {
  kafkaEnvFor,
  kafkaOptionsFor,
  WaitAborted,
  waitFor as baseWaitFor,
  type KafkaPrincipal,
  type TestStack,
} from '@passerelle/testing';

export const BENCH_DATABASE = 'passerelle_bench';

/** `bench-<run>-<what>.justice.referrals.v1`…: every ministry topic under one namespace. */
export function ministryTopics(prefix: string): string[] {
  return Object.values(MINISTRY_TOPIC_PREFIXES).flatMap((ministry) => TOPIC_FAMILIES.map((family) => `${prefix}${ministry}.${family}.v1`));
}

/** The projector's pattern for one namespace's ministry topics. */
export function topicPattern(prefix: string): string {
  return `^${prefix.replace(/[.-]/g, (c) => `\\${c}`)}(${Object.values(MINISTRY_TOPIC_PREFIXES).join('|')})\\.[a-z][a-z-]*\\.v1$`;
}

export interface Settings {
  readonly quick: boolean;
  readonly only: readonly string[];
  readonly repeats: number;
  readonly kafkaEvents: number;
  readonly pgEvents: number;
  readonly e2eEvents: number;
  /** Seconds of each closed-loop HTTP run (adapter and L_http alike). */
  readonly httpSeconds: number;
  readonly httpConcurrency: number;
  readonly rebuildEvents: number;
  /** The larger rebuild, run once: its peak memory against the one of rebuildEvents. */
  readonly rebuildMemoryEvents: number;
  readonly latencySeconds: number;
  readonly latencyRate: number;
  readonly apiRate: number;
  readonly apiSeconds: number;
  readonly partitions: number;
  readonly produceBatch: number;
  readonly relayBatch: number;
  readonly connectEvents: number;
}

/** The stack, clients and resources one bench run uses; `close` stops only what the run started. */
export class BenchContext {
  readonly serde: EventSerde;
  readonly runId = new Date()
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14);
  readonly benchDatabaseUrl: string;
  private readonly admins: Knex[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly topics: string[] = [];

  constructor(
    readonly stack: TestStack,
    readonly home: string,
    readonly log: (message: string) => void,
    private readonly onClose: () => Promise<void> = async () => undefined,
  ) {
    this.serde = new EventSerde(new RegistryClient({ url: this.stack.registryUrl }));
    const url = new URL(this.stack.databaseUrl);
    url.pathname = `/${BENCH_DATABASE}`;
    this.benchDatabaseUrl = url.toString();
  }

  /** Starts or reuses the local stack, provisions topics and schemas, and creates the bench database. */
  static async open(log: (message: string) => void): Promise<BenchContext> {
    const config = loadStackConfig();
    const result = await up(config, (m) => log(`stack: ${m}`));
    const stack: TestStack = endpointsOf(config);
    await provisionEndpoints(stack, (m) => log(`provision: ${m}`));
    return BenchContext.forStack(stack, config.home, log, async () => {
      // Only what this run started is stopped: a stack someone else brought up stays up.
      if (result.started.length > 0) await down(config, (m) => log(`stack: ${m}`), result.started);
    });
  }

  /** A context on a stack that is already up (tests get theirs from the vitest global setup). */
  static async forStack(
    stack: TestStack,
    home: string,
    log: (message: string) => void,
    onClose?: () => Promise<void>,
  ): Promise<BenchContext> {
    await ensureDatabase(stack.databaseUrl, BENCH_DATABASE);
    return new BenchContext(stack, home, log, onClose);
  }

  kafka(principal: KafkaPrincipal, clientId: string): Kafka {
    return createKafka({ ...kafkaOptionsFor(this.stack, principal, clientId), retries: 8 });
  }

  kafkaEnv(principal: KafkaPrincipal): Record<string, string> {
    return kafkaEnvFor(this.stack, principal);
  }

  /** A pool on the bench database, closed with the context. */
  database(schema?: string, poolMax = 10): Knex {
    const db = createDatabase({ url: this.benchDatabaseUrl, schema, applicationName: 'passerelle-bench', poolMax });
    this.admins.push(db);
    return db;
  }

  async createTopics(prefix: string, partitions: number): Promise<string[]> {
    const names = ministryTopics(prefix);
    const admin = this.kafka('admin', 'passerelle-bench-admin').admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = names.filter((name) => !existing.has(name));
      if (missing.length)
        await admin.createTopics({
          topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
          waitForLeaders: true,
        });
    } finally {
      await admin.disconnect();
    }
    return names;
  }

  /** Topics deleted when the run ends (the rebuild's cached set is not registered here). */
  async createRunTopics(what: string, partitions: number): Promise<{ prefix: string; topics: string[] }> {
    const prefix = `bench-${this.runId}-${what}.`;
    const topics = await this.createTopics(prefix, partitions);
    this.topics.push(...topics);
    return { prefix, topics };
  }

  /**
   * Spawns a TypeScript entry point with tsx; stopped with SIGTERM by the caller or at close.
   * `nodeFlags` go on node's command line (tsx passes them on): some, like --cpu-prof, are refused in NODE_OPTIONS.
   */
  spawnTs(entry: string, env: Record<string, string>, args: readonly string[] = [], nodeFlags: readonly string[] = []): ChildProcess {
    const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
    const child = spawn(tsx, [...nodeFlags, path.join(REPO_ROOT, entry), ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  async stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    await Promise.all([...this.children].map((child) => this.stopChild(child, 5_000)));
    if (this.topics.length) {
      const admin = this.kafka('admin', 'passerelle-bench-admin').admin();
      await admin.connect().catch(() => undefined);
      await admin.deleteTopics({ topics: this.topics }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    // Every schema this run made in the bench database (views, outboxes, adapters' tables).
    const db = this.database(undefined, 1);
    const schemas = (
      (await db
        .raw('SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ?', [`bench\\_${this.runId}\\_%`])
        .catch(() => ({ rows: [] }))) as { rows: { schema_name: string }[] }
    ).rows;
    for (const { schema_name } of schemas) await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema_name]).catch(() => undefined);
    await Promise.all(this.admins.map((db) => db.destroy().catch(() => undefined)));
    await this.onClose();
  }
}

/** Thrown from a probe to stop waiting at once (a process died, a task failed). */
export class FatalError extends WaitAborted {}

/** libs/testing's waitFor, with the bench's longer default (services start under load). */
export const waitFor = <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000, everyMs = 200): Promise<T> =>
  baseWaitFor(what, probe, timeoutMs, everyMs);
