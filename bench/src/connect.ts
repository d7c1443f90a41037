import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from '@passerelle/db';
import { REPO_ROOT, VERSIONS } from '@passerelle/infra';
import { setTimeout as sleep } from 'node:timers/promises';
import { FatalError, topicPattern, type BenchContext, type Settings } from './context.ts';
import { nextPollDelay, stalled, type PollSample } from './poll.ts';
import { encodeEvents, generateEvents } from './events.ts';
import { now, produceAll } from './limits.ts';
import { freePort } from '@passerelle/testing';
import { startProjector, tail } from './services.ts';
import { rate, spread, type Spread } from './stats.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/** What the peer runs: Kafka Connect of the broker's version, Debezium's JDBC sink, Apicurio's Avro converter. */
export const CONNECT_ARTIFACTS = {
  connectRuntime: `org.apache.kafka:connect-runtime:${VERSIONS.kafka}`,
  // 3.6.1.Final is not on Maven Central (its newest is 3.6.0.Final); its hibernate-agroal 7.2.6 is absent too (7.2.0 is used).
  debeziumJdbc: 'io.debezium:debezium-connector-jdbc:3.6.0.Final',
  // No 3.x converter resolves from Maven Central (3.1+ jars absent, 3.0.9's parent pom absent).
  apicurioConverter: 'io.apicurio:apicurio-registry-utils-converter:2.6.13.Final',
} as const;

const MAVEN = path.join(REPO_ROOT, 'bench', 'maven');
const POM = path.join(MAVEN, 'connect.pom.xml');
const SMT = path.join(MAVEN, 'smt');
const SETTINGS = path.join(MAVEN, 'settings.xml');

/** Runs Maven offline first (everything already in ~/.m2), then online; throws with the end of its output. */
function maven(args: readonly string[], what: string, log: (m: string) => void): void {
  const base = ['-B', '-q', '-s', SETTINGS, `-Dkafka.version=${VERSIONS.kafka}`, ...args];
  let result = spawnSync('mvn', ['-o', ...base], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    log(`  Kafka Connect peer: ${what} from Maven Central (first time only)…`);
    result = spawnSync('mvn', base, { cwd: REPO_ROOT, encoding: 'utf8' });
  }
  if (result.status !== 0)
    throw new Error(`Maven failed (${what}):\n${`${result.stdout}${result.stderr}`.trim().split('\n').slice(-8).join('\n')}`);
}

/** Every file Maven reads for the peer: a change to the poms or to the transform's sources rebuilds the jars. */
function mavenInputsHash(): string {
  const hash = createHash('sha256');
  const files = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? (e.name === 'target' ? [] : files(path.join(dir, e.name))) : [path.join(dir, e.name)]));
  for (const file of files(MAVEN).sort()) hash.update(path.relative(MAVEN, file)).update(fs.readFileSync(file));
  return `${VERSIONS.kafka} ${hash.digest('hex')}`;
}

/**
 * The peer's classpath under <home>/lib, built once: the resolved jars (dependency:copy-dependencies)
 * and our RouteByRecordName transform (bench/maven/smt, built and unit-tested by `mvn package`).
 */
export function resolveConnectJars(home: string, log: (m: string) => void): string {
  const dir = path.join(home, 'lib', `kafka-connect-peer-${VERSIONS.kafka}`);
  const marker = path.join(dir, '.complete');
  const inputs = mavenInputsHash();
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === inputs) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  maven(['-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${dir}`], 'resolving the jars', log);
  const build = path.join(home, 'lib', 'kafka-connect-peer-smt-build');
  fs.rmSync(build, { recursive: true, force: true });
  maven(['-f', path.join(SMT, 'pom.xml'), 'package', `-Dsmt.buildDirectory=${build}`], 'building the routing transform', log);
  fs.copyFileSync(path.join(build, 'route-by-record-name-1.0.0.jar'), path.join(dir, 'route-by-record-name-1.0.0.jar'));
  fs.rmSync(build, { recursive: true, force: true });
  fs.writeFileSync(marker, inputs);
  return dir;
}

export const properties = (values: Record<string, string | number>) =>
  `${Object.entries(values)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n')}\n`;

export interface ConnectResult {
  readonly events: number;
  readonly eventsPerSecond: Spread;
  readonly projectorEventsPerSecond: Spread;
  /** Rows per sink table (one per event type) of the last run; every run's must equal the events, type by type, or the peer failed. */
  readonly sinkRows: Readonly<Record<string, number>>;
  readonly artifacts: typeof CONNECT_ARTIFACTS;
  readonly converter: string;
  readonly sink: string;
}

/** Our SMT's table name for an event type, for the expected counts: `ReferralCreated` → `referral_created`. */
function tableOf(type: string): string {
  return type.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Exact row count of every table in one schema (the sink creates them as record types first arrive). */
async function rowCounts(db: Knex, schema: string): Promise<Record<string, number>> {
  const tables = (
    (await db.raw('SELECT table_name FROM information_schema.tables WHERE table_schema = ?', [schema])) as {
      rows: { table_name: string }[];
    }
  ).rows.map((r) => r.table_name);
  if (tables.length === 0) return {};
  const sql = tables.map(() => 'SELECT ? AS name, count(*)::int AS n FROM ??.??').join(' UNION ALL ');
  const rows = (
    (await db.raw(
      sql,
      tables.flatMap((t) => [t, schema, t]),
    )) as { rows: { name: string; n: number }[] }
  ).rows;
  return Object.fromEntries(rows.map((r) => [r.name, r.n]));
}

const sum = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * Polls `progress` until it reaches `total`. Rate = events after the first progress seen, divided by
 * the time from then to the last (so start-up, JVM or Node, is not counted). Polled at the same
 * adaptive pace for both sides (about once a second, every 50 ms near the end: see nextPollDelay).
 */
async function progressRate(what: string, total: number, progress: () => Promise<number>): Promise<number> {
  let first: { t: number; n: number } | undefined;
  let n = 0;
  const began = now();
  const samples: PollSample[] = [];
  for (;;) {
    n = await progress();
    const t = now();
    samples.push({ t: t - began, n });
    if (n > 0 && !first) first = { t, n };
    if (n >= total) break;
    if (t - began > 1_800_000) throw new Error(`${what}: ${total} events not there after 30 minutes (${n} seen)`);
    if (stalled(samples, 180_000)) throw new Error(`${what}: no progress for 180 s (${n} of ${total} seen)`);
    await sleep(nextPollDelay(total - n, first && t > first.t ? (n - first.n) / (t - first.t) : 0));
  }
  const last = now();
  return first && last > first.t ? rate(total - first.n, last - first.t) : Number.NaN;
}

/**
 * SASL/SCRAM settings (over TLS on a SASL_SSL broker) of the admin principal, as a Java client's
 * properties: Kafka Connect's worker and clients, and kafka-producer-perf-test. Bench topics
 * (bench-<run>-….<ministry>.…) and the group Connect names after the connector lie outside
 * every prefix infra/topics/acls.json grants; admin is the principal the bench already produces
 * and reads bench topics with, so the projector and the peer run as the same principal.
 */
export function javaClientSecurity(ctx: BenchContext): Record<string, string> {
  const admin = ctx.stack.kafkaCredentials?.admin;
  if (!admin) return {};
  const caFile = ctx.stack.kafkaCaFile;
  return {
    'security.protocol': caFile ? 'SASL_SSL' : 'SASL_PLAINTEXT',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${admin.username}" password="${admin.password}";`,
    // The Java client verifies the broker against the same CA file as the Node clients (a PEM truststore).
    ...(caFile ? { 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': caFile } : {}),
  };
}

function saslProperties(ctx: BenchContext): Record<string, string> {
  const sasl = javaClientSecurity(ctx);
  const prefixed = (p: string) => Object.fromEntries(Object.entries(sasl).map(([k, v]) => [`${p}${k}`, v]));
  return { ...sasl, ...prefixed('consumer.'), ...prefixed('producer.'), ...prefixed('admin.') };
}

function workerProperties(ctx: BenchContext, work: string, port: number): Record<string, string | number> {
  const registry = new URL(ctx.stack.registryUrl);
  return {
    'bootstrap.servers': ctx.stack.kafkaBrokers.join(','),
    ...saslProperties(ctx),
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
    'value.converter.apicurio.registry.url': `${registry.origin}/apis/registry/v2`,
    // Confluent framing: magic byte and a 4-byte id, the content id the ccompat API hands out.
    'value.converter.apicurio.registry.as-confluent': 'true',
    'value.converter.apicurio.registry.use-id': 'contentId',
    'value.converter.apicurio.registry.headers.enabled': 'false',
    'plugin.discovery': 'only_scan',
    'offset.storage.file.filename': path.join(work, 'offsets'),
    'offset.flush.interval.ms': 1000,
    listeners: `http://127.0.0.1:${port}`,
    'consumer.max.poll.records': 2000,
    'consumer.auto.offset.reset': 'earliest',
  };
}

export const CONNECT_TASKS = 2;
export const CONNECT_BATCH = 2_000;
export const CONNECT_HEAP = '2g';

/** One table per event type, one row per event (upsert on its eventId), flat columns. */
function sinkProperties(ctx: BenchContext, name: string, prefix: string, sinkSchema: string): Record<string, string | number> {
  const pg = new URL(ctx.benchDatabaseUrl);
  return {
    name,
    'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
    // Tuned as its users run it: two tasks, batches of 2,000, and the PostgreSQL driver rewriting
    // each batch into multi-row INSERTs (reWriteBatchedInserts).
    'tasks.max': CONNECT_TASKS,
    'topics.regex': topicPattern(prefix),
    'connection.url': `jdbc:postgresql://${pg.host}${pg.pathname}?reWriteBatchedInserts=true`,
    'connection.username': decodeURIComponent(pg.username || 'postgres'),
    'connection.password': decodeURIComponent(pg.password || ''),
    'insert.mode': 'upsert',
    'primary.key.mode': 'record_value',
    'primary.key.fields': 'envelope_eventId',
    'schema.evolution': 'basic',
    'quote.identifiers': 'true',
    'collection.name.format': `${sinkSchema}.\${topic}`,
    'batch.size': CONNECT_BATCH,
    // A family topic carries several event types: route each to its own table (our SMT), then
    // flatten the envelope and the nested records (populationFlags, measure) into columns.
    transforms: 'route,flatten',
    'transforms.route.type': 'ca.on.passerelle.bench.RouteByRecordName',
    'transforms.flatten.type': 'org.apache.kafka.connect.transforms.Flatten$Value',
    'transforms.flatten.delimiter': '_',
    'errors.tolerance': 'none',
  };
}

const LOG4J = {
  'appender.console.type': 'Console',
  'appender.console.name': 'out',
  'appender.console.layout.type': 'PatternLayout',
  'appender.console.layout.pattern': '%d %p %c{1} %m%n',
  'rootLogger.level': 'WARN',
  'rootLogger.appenderRef.console.ref': 'out',
};

interface ConnectJvm {
  readonly exited: () => boolean;
  readonly output: () => string;
  readonly stop: () => Promise<void>;
}

/**
 * Kafka Connect standalone in its own JVM, the worker alone: connectors are created and deleted over
 * its REST API, so one warmed-up JVM serves every run. Killed with the bench process too, so no JVM
 * outlives a run.
 */
function startConnect(jars: string, work: string): ConnectJvm {
  const java = spawn(
    'java',
    [
      `-Xms${CONNECT_HEAP}`,
      `-Xmx${CONNECT_HEAP}`,
      `-Dlog4j2.configurationFile=${path.join(work, 'log4j2.properties')}`,
      '-cp',
      `${jars}/*`,
      'org.apache.kafka.connect.cli.ConnectStandalone',
      path.join(work, 'worker.properties'),
    ],
    { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = tail(java, 60);
  const logFile = fs.createWriteStream(path.join(work, 'connect.log'));
  java.stdout.pipe(logFile);
  java.stderr.pipe(logFile);
  let exited = false;
  const gone = new Promise<void>((resolve) => java.once('exit', () => resolve()));
  void gone.then(() => {
    exited = true;
  });
  // An interrupted bench exits through process.exit (main.ts): take the JVM down with it.
  const killNow = () => java.kill('SIGKILL');
  process.once('exit', killNow);
  return {
    exited: () => exited,
    output,
    stop: async () => {
      process.off('exit', killNow);
      if (!exited) {
        java.kill('SIGTERM');
        const timer = setTimeout(() => java.kill('SIGKILL'), 20_000);
        await gone;
        clearTimeout(timer);
      }
      await new Promise((resolve) => logFile.end(resolve));
    },
  };
}

/** Connector status over the worker's REST API: throws at once on a failed task or a worker that died. */
async function connectorHealth(port: number, name: string, jvm: ConnectJvm, launched: number): Promise<void> {
  if (jvm.exited()) throw new FatalError(`Kafka Connect exited:\n${jvm.output()}`);
  const response = await fetch(`http://127.0.0.1:${port}/connectors/${name}/status`).catch(() => undefined);
  if (response?.status === 404 && now() - launched > 90_000)
    throw new FatalError(`Kafka Connect runs but the connector was not created:\n${jvm.output()}`);
  const state = (response?.ok ? await response.json() : undefined) as { tasks?: { state: string; trace?: string }[] } | undefined;
  const failed = state?.tasks?.find((t) => t.state === 'FAILED');
  if (failed) {
    const causes = (failed.trace ?? '').split('\n').filter((line) => line.startsWith('Caused by:'));
    throw new FatalError(`the JDBC sink task failed: ${(causes.at(-1) ?? failed.trace ?? '').slice(0, 400)}`);
  }
}

/** The rows must be the events, type by type: anything else is a failed peer, not a rate. */
function checkRows(rows: Readonly<Record<string, number>>, expected: Readonly<Record<string, number>>): void {
  const names = [...new Set([...Object.keys(rows), ...Object.keys(expected)])].sort();
  const wrong = names.filter((name) => rows[name] !== expected[name]);
  if (wrong.length)
    throw new Error(
      `the JDBC sink's rows do not match the events produced: ${wrong.map((name) => `${name} ${rows[name] ?? 0} rows for ${expected[name] ?? 0} events`).join(', ')}`,
    );
}

/**
 * The same events (pre-produced onto one topic set) consumed by the projector (its own process)
 * and by Kafka Connect standalone with the Debezium JDBC sink (its own JVM, warmed up first on
 * another topic set), one after the other so each has the machine, in alternating order (odd runs
 * the projector first, even runs the peer), `repeats` times, each run with fresh groups and
 * tables. Both rates count committed rows: the projector's processed_events, the sink's tables.
 */
export async function measureConnect(ctx: BenchContext, settings: Settings): Promise<ConnectResult> {
  const jars = resolveConnectJars(ctx.home, ctx.log);
  const { prefix } = await ctx.createRunTopics('connect', settings.partitions);
  const generated = [...generateEvents(settings.connectEvents, 51)].flat();
  const expected = countsByTable(generated.map((e) => e.type));
  await produceAll(ctx, await encodeEvents(ctx.serde, generated, prefix), settings.produceBatch);
  // The warm-up set: other events, so the measured runs start from a JIT-compiled, connected worker.
  const warm = await ctx.createRunTopics('connectwarm', settings.partitions);
  const warmEvents = [...generateEvents(Math.min(settings.connectEvents, 20_000), 52)].flat();
  await produceAll(ctx, await encodeEvents(ctx.serde, warmEvents, warm.prefix), settings.produceBatch);

  const work = path.join(ctx.home, 'bench', ctx.runId, 'connect');
  let ok = false;
  // An interrupted bench exits without reaching the finally below: the credentials still go.
  const interrupted = () => cleanWork(work, false);
  process.once('exit', interrupted);
  const projector: number[] = [];
  const peer: number[] = [];
  let sinkRows: Record<string, number> = {};
  try {
    fs.mkdirSync(work, { recursive: true });
    const port = await freePort();
    fs.writeFileSync(path.join(work, 'worker.properties'), properties(workerProperties(ctx, work, port)), { mode: 0o600 });
    fs.writeFileSync(path.join(work, 'log4j2.properties'), properties(LOG4J));
    const jvm = startConnect(jars, work);
    const worker: Worker = { ctx, port, jvm, launched: now() };
    try {
      await waitForWorker(worker);
      const warmed = await measureSink(worker, warm.prefix, 0, countsByTable(warmEvents.map((e) => e.type)));
      ctx.log(`  Kafka Connect warm-up: ${warmEvents.length} events at ${Math.round(warmed.rate)} ev/s`);
      for (let run = 1; run <= settings.repeats; run++) {
        const sink = () => measureSink(worker, prefix, run, expected);
        let result: { rate: number; rows: Record<string, number> };
        if (run % 2 === 1) {
          projector.push(await measureProjector(ctx, prefix, run, generated.length));
          result = await sink();
        } else {
          result = await sink();
          projector.push(await measureProjector(ctx, prefix, run, generated.length));
        }
        peer.push(result.rate);
        sinkRows = result.rows;
        ctx.log(
          `  run ${run} (${run % 2 === 1 ? 'projector first' : 'peer first'}): projector ${Math.round(projector.at(-1) ?? 0)} ev/s, Kafka Connect JDBC sink ${Math.round(result.rate)} ev/s (${sum(result.rows)} rows in ${Object.keys(result.rows).length} tables)`,
        );
      }
      ok = true;
    } catch (error) {
      throw new Error(
        `${(error as Error).message.split('\n').slice(0, 3).join(' ')} (log: ${path.relative(REPO_ROOT, path.join(work, 'connect.log'))})`,
      );
    } finally {
      await jvm.stop();
    }
  } finally {
    process.off('exit', interrupted);
    cleanWork(work, ok);
  }
  return {
    events: generated.length,
    eventsPerSecond: spread(peer),
    projectorEventsPerSecond: spread(projector),
    sinkRows,
    artifacts: CONNECT_ARTIFACTS,
    converter: 'Apicurio AvroConverter 2.6 over the registry v2 API, Confluent framing (as-confluent, contentId)',
    sink: `standalone worker (${CONNECT_HEAP} heap, warmed up on ${warmEvents.length} other events), ${CONNECT_TASKS} tasks, batches of ${CONNECT_BATCH}, reWriteBatchedInserts=true, upsert on envelope_eventId, one table per event type`,
  };
}

function countsByTable(types: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of types) counts[tableOf(type)] = (counts[tableOf(type)] ?? 0) + 1;
  return counts;
}

/** The projector (its own process, see startProjector for its principal) until processed_events holds every event. */
async function measureProjector(ctx: BenchContext, prefix: string, run: number, total: number): Promise<number> {
  const viewSchema = `bench_${ctx.runId}_connect_view${run}`;
  const groupId = `bench-${ctx.runId}-connect-projector${run}`;
  const view = ctx.database(viewSchema, 2);
  const projector = await startProjector(ctx, { viewSchema, groupId, pattern: topicPattern(prefix), tracing: { on: false } });
  try {
    return await progressRate('projector', total, async () =>
      Number(
        ((await view.raw('SELECT count(*) AS n FROM ??.??', [viewSchema, VIEW_TABLE.processed_events])) as { rows: { n: string }[] })
          .rows[0]?.n ?? 0,
      ),
    );
  } finally {
    await ctx.stopChild(projector.child);
    await view.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [viewSchema]);
    await deleteGroup(ctx, groupId);
  }
}

interface Worker {
  readonly ctx: BenchContext;
  readonly port: number;
  readonly jvm: ConnectJvm;
  readonly launched: number;
}

async function waitForWorker(worker: Worker): Promise<void> {
  const began = now();
  for (;;) {
    if (worker.jvm.exited()) throw new FatalError(`Kafka Connect exited:\n${worker.jvm.output()}`);
    const response = await fetch(`http://127.0.0.1:${worker.port}/connectors`).catch(() => undefined);
    if (response?.ok) return;
    if (now() - began > 180_000) throw new Error(`Kafka Connect's REST API did not answer within 180 s:\n${worker.jvm.output()}`);
    await sleep(500);
  }
}

/** One connector run into a fresh schema over the worker's REST API: its rate, and its rows checked against the events. */
async function measureSink(
  worker: Worker,
  prefix: string,
  run: number,
  expected: Readonly<Record<string, number>>,
): Promise<{ rate: number; rows: Record<string, number> }> {
  const { ctx, port, jvm } = worker;
  const connectorName = `bench-${ctx.runId}-jdbc-sink${run}`;
  const sinkSchema = `bench_${ctx.runId}_connect_sink${run}`;
  const db = ctx.database(undefined, 1);
  const api = `http://127.0.0.1:${port}/connectors`;
  try {
    await db.raw('CREATE SCHEMA IF NOT EXISTS ??', [sinkSchema]);
    const { name, ...config } = sinkProperties(ctx, connectorName, prefix, sinkSchema);
    const created = await fetch(api, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, config: Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)])) }),
    });
    if (!created.ok) throw new Error(`Kafka Connect refused the connector: ${created.status} ${(await created.text()).slice(0, 400)}`);
    const launched = now();
    let rate: number;
    try {
      rate = await progressRate('Kafka Connect', sum(expected), async () => {
        await connectorHealth(port, connectorName, jvm, launched);
        return sum(await rowCounts(db, sinkSchema));
      });
    } finally {
      await fetch(`${api}/${connectorName}`, { method: 'DELETE' }).catch(() => undefined);
    }
    const rows = await rowCounts(db, sinkSchema);
    checkRows(rows, expected);
    return { rate, rows };
  } finally {
    await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [sinkSchema]);
    await deleteGroup(ctx, `connect-${connectorName}`);
  }
}

/** Consumer groups of one run are dropped with it (the topics go at the end of the bench). */
async function deleteGroup(ctx: BenchContext, groupId: string): Promise<void> {
  const admin = ctx.kafka('admin', 'passerelle-bench-admin').admin();
  await admin.connect();
  try {
    await admin.deleteGroups([groupId]);
  } catch {
    // A group that never committed does not exist: nothing to delete.
  } finally {
    await admin.disconnect();
  }
}

/** The worker's files hold credentials: always removed; the log stays only to explain a failure. */
function cleanWork(work: string, ok: boolean): void {
  if (!fs.existsSync(work)) return;
  if (ok) {
    fs.rmSync(work, { recursive: true, force: true });
    return;
  }
  for (const entry of fs.readdirSync(work))
    if (entry !== 'connect.log') fs.rmSync(path.join(work, entry), { recursive: true, force: true });
}
