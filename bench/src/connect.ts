import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, VERSIONS } from '@passerelle/infra';
import { FatalError, topicPattern, waitFor, type BenchContext, type Settings } from './context.ts';
import { encodeEvents, generateEvents } from './events.ts';
import { now, produceAll } from './limits.ts';
import { freePort, startProjector, tail } from './services.ts';
import { rate } from './stats.ts';

/** What the peer runs: Kafka Connect of the broker's version, Debezium's JDBC sink, Apicurio's Avro converter. */
export const CONNECT_ARTIFACTS = {
  connectRuntime: `org.apache.kafka:connect-runtime:${VERSIONS.kafka}`,
  // 3.6.1.Final is not on Maven Central (its newest is 3.6.0.Final); its hibernate-agroal 7.2.6 is absent too (7.2.0 is used).
  debeziumJdbc: 'io.debezium:debezium-connector-jdbc:3.6.0.Final',
  // No 3.x converter resolves from Maven Central (3.1+ jars absent, 3.0.9's parent pom absent).
  apicurioConverter: 'io.apicurio:apicurio-registry-utils-converter:2.6.13.Final',
} as const;

const POM = path.join(REPO_ROOT, 'bench', 'maven', 'connect.pom.xml');
const SETTINGS = path.join(REPO_ROOT, 'bench', 'maven', 'settings.xml');

/** Resolves the peer's jars with Maven (into ~/.m2, then copied under <home>/lib), once. */
export function resolveConnectJars(home: string, log: (m: string) => void): string {
  const dir = path.join(home, 'lib', `kafka-connect-peer-${VERSIONS.kafka}`);
  const marker = path.join(dir, '.complete');
  if (fs.existsSync(marker)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  const args = ['-B', '-q', '-s', SETTINGS, '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${dir}`];
  let result = spawnSync('mvn', ['-o', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    log('  Kafka Connect peer: resolving from Maven Central (first time only)…');
    result = spawnSync('mvn', args, { cwd: REPO_ROOT, encoding: 'utf8' });
  }
  if (result.status !== 0) throw new Error(`Maven could not resolve the Kafka Connect peer:\n${`${result.stdout}${result.stderr}`.trim().split('\n').slice(-8).join('\n')}`);
  fs.writeFileSync(marker, new Date().toISOString());
  return dir;
}

const properties = (values: Record<string, string | number>) =>
  `${Object.entries(values)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n')}\n`;

export interface ConnectResult {
  readonly status: string;
  readonly events: number;
  readonly eventsPerSecond: number;
  readonly projectorEventsPerSecond: number;
  readonly sinkRows: number;
  readonly artifacts: typeof CONNECT_ARTIFACTS;
  readonly converter: string;
}

/**
 * The same events (pre-produced onto one topic set) consumed once by the projector (its own
 * process) and once by Kafka Connect standalone with the Debezium JDBC sink (its own JVM),
 * one after the other so each has the machine. Rate = events after the first progress seen,
 * divided by the time from then to the last (both from committed progress, polled every 250 ms).
 */
export async function measureConnect(ctx: BenchContext, settings: Settings): Promise<ConnectResult> {
  const jars = resolveConnectJars(ctx.home, ctx.log);
  const { prefix, topics } = await ctx.createRunTopics('connect', settings.partitions);
  const events = await encodeEvents(ctx.serde, [...generateEvents(settings.connectEvents, 51)].flat(), prefix);
  await produceAll(ctx, events, settings.produceBatch);
  const total = events.length;

  const progressRate = async (what: string, progress: () => Promise<number>, timeoutMs: number): Promise<number> => {
    let first: { t: number; n: number } | undefined;
    let n = 0;
    await waitFor(
      `${what}: ${total} events (have ${n})`,
      async () => {
        n = await progress();
        if (n > 0 && !first) first = { t: now(), n };
        return n >= total;
      },
      timeoutMs,
      250,
    );
    return first && now() > first.t ? rate(total - first.n, now() - first.t) : Number.NaN;
  };

  // The projector on these topics.
  const viewSchema = `bench_${ctx.runId}_connect_view`;
  const view = ctx.database(viewSchema, 2);
  const projector = await startProjector(ctx, { viewSchema, groupId: `bench-${ctx.runId}-connect-projector`, pattern: topicPattern(prefix), tracing: { on: false } });
  let projectorRate: number;
  try {
    projectorRate = await progressRate('projector', async () => Number(((await view.raw('SELECT count(*) AS n FROM ??.processed_events', [viewSchema])) as { rows: { n: string }[] }).rows[0]?.n ?? 0), 1_800_000);
  } finally {
    await ctx.stopChild(projector.child);
  }
  ctx.log(`  projector on the peer's events: ${Math.round(projectorRate)} ev/s`);

  // Kafka Connect standalone with the JDBC sink.
  const work = path.join(ctx.home, 'bench', ctx.runId, 'connect');
  fs.mkdirSync(work, { recursive: true });
  const sinkSchema = `bench_${ctx.runId}_connect_sink`;
  const db = ctx.database(undefined, 1);
  await db.raw('CREATE SCHEMA IF NOT EXISTS ??', [sinkSchema]);
  const admin = ctx.stack.kafkaCredentials?.admin;
  const sasl: Record<string, string> = admin
    ? {
        'security.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanism': 'SCRAM-SHA-512',
        'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${admin.username}" password="${admin.password}";`,
      }
    : {};
  const prefixed = (p: string, values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [`${p}${k}`, v]));
  const registry = new URL(ctx.stack.registryUrl);
  const port = await freePort();
  fs.writeFileSync(
    path.join(work, 'worker.properties'),
    properties({
      'bootstrap.servers': ctx.stack.kafkaBrokers.join(','),
      ...sasl,
      ...prefixed('consumer.', sasl),
      ...prefixed('producer.', sasl),
      ...prefixed('admin.', sasl),
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
      'value.converter.apicurio.registry.url': `${registry.origin}/apis/registry/v2`,
      // Confluent framing: magic byte and a 4-byte id, the content id the ccompat API hands out.
      'value.converter.apicurio.registry.as-confluent': 'true',
      'value.converter.apicurio.registry.use-id': 'contentId',
      'plugin.discovery': 'only_scan',
      'value.converter.apicurio.registry.headers.enabled': 'false',
      'offset.storage.file.filename': path.join(work, 'offsets'),
      'offset.flush.interval.ms': 1000,
      listeners: `http://127.0.0.1:${port}`,
      'consumer.max.poll.records': 2000,
      'consumer.auto.offset.reset': 'earliest',
    }),
  );
  const connectorName = `bench-${ctx.runId}-jdbc-sink`;
  const pg = new URL(ctx.benchDatabaseUrl);
  fs.writeFileSync(
    path.join(work, 'jdbc-sink.properties'),
    properties({
      name: connectorName,
      'connector.class': 'io.debezium.connector.jdbc.JdbcSinkConnector',
      'tasks.max': 1,
      'topics.regex': topicPattern(prefix),
      'connection.url': `jdbc:postgresql://${pg.host}${pg.pathname}?currentSchema=${sinkSchema}`,
      'connection.username': decodeURIComponent(pg.username || 'postgres'),
      'connection.password': decodeURIComponent(pg.password || ''),
      'insert.mode': 'upsert',
      'primary.key.mode': 'record_key',
      'primary.key.fields': 'id',
      'schema.evolution': 'basic',
      'quote.identifiers': 'true',
      'collection.name.format': `${sinkSchema}.\${topic}`,
      'batch.size': 500,
      // The key is the referral, gap or initiative id as a string; the sink upserts on a struct key.
      transforms: 'key,flatten',
      'transforms.key.type': 'org.apache.kafka.connect.transforms.HoistField$Key',
      'transforms.key.field': 'id',
      'transforms.flatten.type': 'org.apache.kafka.connect.transforms.Flatten$Value',
      'transforms.flatten.delimiter': '_',
      'errors.tolerance': 'none',
    }),
  );
  fs.writeFileSync(
    path.join(work, 'log4j2.properties'),
    properties({ 'appender.console.type': 'Console', 'appender.console.name': 'out', 'appender.console.layout.type': 'PatternLayout', 'appender.console.layout.pattern': '%d %p %c{1} %m%n', 'rootLogger.level': 'WARN', 'rootLogger.appenderRef.console.ref': 'out' }),
  );
  const java = spawn(
    'java',
    ['-Xmx512m', `-Dlog4j2.configurationFile=${path.join(work, 'log4j2.properties')}`, '-cp', `${jars}/*`, 'org.apache.kafka.connect.cli.ConnectStandalone', path.join(work, 'worker.properties'), path.join(work, 'jdbc-sink.properties')],
    { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output = tail(java, 60);
  const logFile = fs.createWriteStream(path.join(work, 'connect.log'));
  java.stdout.pipe(logFile);
  java.stderr.pipe(logFile);
  const launched = now();
  let exited = false;
  java.once('exit', () => {
    exited = true;
  });
  const kafkaAdmin = ctx.kafka('admin', 'passerelle-bench-admin').admin();
  await kafkaAdmin.connect();
  const groupId = `connect-${connectorName}`;
  let connectRate: number;
  try {
    connectRate = await progressRate(
      'Kafka Connect',
      async () => {
        if (exited) throw new FatalError(`Kafka Connect exited:\n${output()}`);
        const response = await fetch(`http://127.0.0.1:${port}/connectors/${connectorName}/status`).catch(() => undefined);
        if (response?.status === 404 && now() - launched > 90_000) throw new FatalError(`Kafka Connect runs but the connector was not created:\n${output()}`);
        const state = (response?.ok ? await response.json() : undefined) as { tasks?: { state: string; trace?: string }[] } | undefined;
        const failed = state?.tasks?.find((t) => t.state === 'FAILED');
        if (failed) {
          const causes = (failed.trace ?? '').split('\n').filter((line) => line.startsWith('Caused by:'));
          throw new FatalError(`the JDBC sink task failed: ${(causes.at(-1) ?? failed.trace ?? '').slice(0, 400)}`);
        }
        const offsets = await kafkaAdmin.fetchOffsets({ groupId, topics });
        return offsets.flatMap((t) => t.partitions).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      },
      1_800_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message.split('\n').slice(0, 3).join(' ')} (log: ${path.relative(REPO_ROOT, path.join(work, 'connect.log'))})`);
    });
  } finally {
    await kafkaAdmin.disconnect();
    if (!exited) {
      const gone = new Promise((resolve) => java.once('exit', resolve));
      java.kill('SIGTERM');
      const timer = setTimeout(() => java.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    }
  }
  const rows = ((await db.raw("SELECT coalesce(sum(n_live_tup), 0) AS n FROM pg_stat_user_tables WHERE schemaname = ?", [sinkSchema])) as { rows: { n: string }[] }).rows[0]?.n ?? '0';
  await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [sinkSchema]);
  await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [viewSchema]);
  ctx.log(`  Kafka Connect JDBC sink on the same events: ${Math.round(connectRate)} ev/s`);
  return {
    status: 'ran',
    events: total,
    eventsPerSecond: connectRate,
    projectorEventsPerSecond: projectorRate,
    sinkRows: Number(rows),
    artifacts: CONNECT_ARTIFACTS,
    converter: 'Apicurio AvroConverter 2.6 over the registry v2 API, Confluent framing (as-confluent, contentId)',
  };
}
