import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from '@passerelle/db';
import { migrate } from '@passerelle/db';
import { outboxMigrations } from '@passerelle/kafka';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, mintDevToken } from '@passerelle/view-api';
import { topicPattern, type BenchContext, type Settings } from './context.ts';
import { encodeEvents, generateEvents } from './events.ts';
import { cpuPerThousand, formatCpu, snapshotCpu, type PartSelector } from './cpu.ts';
import { now, publishAtRate } from './limits.ts';
import { nextPollDelay, stalled, type PollSample } from './poll.ts';
import {
  JWT_SECRET,
  describeTracing,
  startProjector,
  startRelay,
  startViewApi,
  tail,
  traceparentUnder,
  type RunningChild,
  type Tracing,
} from './services.ts';
import type { ApiLoadResult } from './api-load.ts';
import { percentiles, rate, spread, type Percentiles, type Spread } from './stats.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

const count = async (db: Knex, sql: string, bindings: readonly unknown[] = []): Promise<number> =>
  Number(((await db.raw(sql, bindings as never)) as { rows: { n: string | number }[] }).rows[0]?.n ?? 0);

export interface LagTrend {
  /** Events published but not yet visible, at 25 %, 50 % and 75 % of the run. */
  readonly q1: number;
  readonly mid: number;
  readonly q3: number;
  readonly flat: boolean;
}

export interface SustainedRun {
  readonly eventsPerSecond: number;
  readonly relayPerSecond: number;
  /** How fast the writers filled the outbox meanwhile (their commits compete with the relay and the projector). */
  readonly outboxWritePerSecond: number;
  readonly lag: LagTrend;
  readonly viewSchema: string;
  /** CPU ms per 1,000 events by part (relay, projector, kafka, postgres, other) over the run. */
  readonly cpuPerThousand: Record<string, number>;
}

function lagTrend(samples: readonly { t: number; lag: number }[]): LagTrend {
  const at = (f: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * f))]?.lag ?? 0;
  const [q1, mid, q3] = [at(0.25), at(0.5), at(0.75)];
  // Flat: the backlog does not keep growing through the run (within 50 % or 1,000 events).
  return { q1, mid, q3, flat: q3 <= Math.max(q1 * 1.5, q1 + 1_000) };
}

/** Writers inserting into the outbox while it drains, and the rows of each of their transactions (an adapter's group commit). */
export const OUTBOX_WRITERS = 4;
export const OUTBOX_ROWS_PER_TRANSACTION = 50;

/**
 * Sustained end to end from the outbox: the relay (its own process) and the projector (its own
 * process, its entry file) are started on an empty outbox; then, from t0, OUTBOX_WRITERS writers
 * insert the N rows OUTBOX_ROWS_PER_TRANSACTION per transaction, as fast as they can, while the
 * relay drains them. Throughput = N / (t0 until the view holds all N): writing the outbox is
 * inside the measurement. Progress is polled cheaply: the topics' high watermarks (published, no
 * query to PostgreSQL) and a count of processed_events about once a second, every 50 ms near the end.
 */
export async function outboxRun(
  ctx: BenchContext,
  settings: Settings,
  label: string,
  tracing: Tracing,
  cpuProfileDir?: string,
): Promise<SustainedRun> {
  const { prefix, topics } = await ctx.createRunTopics(label, settings.partitions);
  const outboxSchema = `bench_${ctx.runId}_${label}_outbox`.replace(/-/g, '_');
  const viewSchema = `bench_${ctx.runId}_${label}_view`.replace(/-/g, '_');
  const outbox = ctx.database(outboxSchema, OUTBOX_WRITERS + 1);
  await outbox.raw('CREATE SCHEMA IF NOT EXISTS ??', [outboxSchema]);
  await migrate(outbox, outboxMigrations, 'outbox_migrations', outboxSchema);
  // The rows are made before t0 (what an adapter's acceptance produces is not this figure's).
  const rows = [...generateEvents(settings.e2eEvents, 21)].flat().map((e) => ({
    event_id: e.eventId,
    event_type: e.type,
    topic: `${prefix}${e.topic}`,
    message_key: e.key,
    payload: JSON.stringify(e.payload),
    trace_context: JSON.stringify(e.traceparent ? { traceparent: traceparentUnder(tracing, e.traceparent) } : {}),
  }));
  const total = rows.length;
  const view = ctx.database(viewSchema, 2);
  const projector = await startProjector(ctx, {
    viewSchema,
    groupId: `bench-${ctx.runId}-${label}`,
    pattern: topicPattern(prefix),
    tracing,
    cpuProfileDir: cpuProfileDir && path.join(cpuProfileDir, 'projector'),
  });
  const relay = await startRelay(ctx, outboxSchema, settings.relayBatch, tracing, cpuProfileDir && path.join(cpuProfileDir, 'relay'));
  const admin = ctx.kafka('admin', 'passerelle-bench-progress').admin();
  await admin.connect();
  const published = async () =>
    (await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic))))
      .flat()
      .reduce((n, mark) => n + Number(mark.high) - Number(mark.low), 0);
  const parts: Record<string, PartSelector> = {
    relay: { roots: [relay.child.pid ?? -1] },
    projector: { roots: [projector.child.pid ?? -1] },
    kafka: { command: /-Dpasserelle\.part=kafka / },
    zipkin: { command: /-Dpasserelle\.part=zipkin / },
    postgres: { command: /^(\S*\/)?postgres[: ]/ },
  };
  const cpuBefore = snapshotCpu(parts);
  const t0 = now();
  const samples: { t: number; lag: number }[] = [];
  const progress: PollSample[] = [];
  let next = 0;
  let writtenAt = 0;
  const writers = Promise.all(
    Array.from({ length: OUTBOX_WRITERS }, async () => {
      for (;;) {
        const start = next;
        next += OUTBOX_ROWS_PER_TRANSACTION;
        if (start >= total) return;
        await outbox
          .withSchema(outboxSchema)
          .table('outbox')
          .insert(rows.slice(start, start + OUTBOX_ROWS_PER_TRANSACTION));
      }
    }),
  ).then(() => {
    writtenAt = now();
  });
  let visible = 0;
  let relayDoneAt = 0;
  let doneAt = 0;
  let cpuAfter = cpuBefore;
  try {
    for (;;) {
      visible = await count(view, 'SELECT count(*) AS n FROM ??.??', [viewSchema, VIEW_TABLE.processed_events]).catch(() => 0);
      const t = now();
      if (visible >= total) {
        doneAt = t;
        break;
      }
      const sent = await published();
      if (sent >= total && relayDoneAt === 0) relayDoneAt = now();
      samples.push({ t: t - t0, lag: sent - visible });
      progress.push({ t: t - t0, n: visible });
      if (stalled(progress, 180_000)) throw new Error(`no event made visible in ${viewSchema} for 180 s (${visible} of ${total})`);
      if (t - t0 > 1_800_000) throw new Error(`${total} events not visible in ${viewSchema} after 30 minutes (have ${visible})`);
      if (relay.child.exitCode !== null) throw new Error('the relay exited');
      if (projector.child.exitCode !== null) throw new Error('the projector exited');
      await sleep(nextPollDelay(total - visible, visible / Math.max(1, t - t0)));
    }
    cpuAfter = snapshotCpu(parts);
    await writers;
  } catch (error) {
    throw new Error(`${(error as Error).message}\nprojector:\n${projector.output()}\nrelay:\n${relay.output()}`);
  } finally {
    await admin.disconnect();
    await ctx.stopChild(relay.child);
    await ctx.stopChild(projector.child);
  }
  await outbox.raw('DROP SCHEMA ?? CASCADE', [outboxSchema]);
  return {
    eventsPerSecond: rate(total, doneAt - t0),
    relayPerSecond: rate(total, (relayDoneAt || doneAt) - t0),
    outboxWritePerSecond: rate(total, (writtenAt || doneAt) - t0),
    lag: lagTrend(samples),
    viewSchema,
    cpuPerThousand: cpuPerThousand(cpuBefore, cpuAfter, total),
  };
}

export interface Sustained {
  readonly outbox: Spread;
  readonly relay: Spread;
  readonly written: Spread;
  readonly runs: readonly SustainedRun[];
}

export async function measureSustained(ctx: BenchContext, settings: Settings, tracing: Tracing, tag: string): Promise<Sustained> {
  const runs: SustainedRun[] = [];
  // Set, the projector and the relay of each run write V8 CPU profiles there (node --cpu-prof), in
  // <dir>/<run label>/projector and …/relay, for the notes on where time goes.
  const profileDir = process.env['PASSERELLE_BENCH_CPU_PROF_DIR'];
  for (let run = 1; run <= settings.repeats; run++) {
    const result = await outboxRun(
      ctx,
      settings,
      `${tag}${run}`,
      tracing,
      profileDir ? path.resolve(profileDir, `${tag}${run}`) : undefined,
    );
    runs.push(result);
    ctx.log(
      `  outbox→view run ${run} (tracing ${describeTracing(tracing)}): ${Math.round(result.eventsPerSecond)} ev/s visible, outbox written at ${Math.round(result.outboxWritePerSecond)} rows/s, relay ${Math.round(result.relayPerSecond)} ev/s, backlog ${result.lag.q1}/${result.lag.mid}/${result.lag.q3} (${result.lag.flat ? 'flat' : 'growing'})`,
    );
    ctx.log(`    CPU ms per 1,000 events: ${formatCpu(result.cpuPerThousand)}`);
  }
  return {
    outbox: spread(runs.map((r) => r.eventsPerSecond)),
    relay: spread(runs.map((r) => r.relayPerSecond)),
    written: spread(runs.map((r) => r.outboxWritePerSecond)),
    runs,
  };
}

/**
 * How the fixed-rate runs publish: a batch every 10 ms, as a relay draining its outbox does. A
 * send per message costs the load generator itself so much at a few thousand per second that it
 * would measure kafkajs, not Passerelle.
 */
export const PUBLISH_BATCH_MS = 10;

/**
 * Publishes at a fixed rate straight to the topics (stamping the send time) while the projector
 * (its own process) applies them; `visible` is the first poll (every `pollMs`) of processed_events
 * that sees the committed row. Runs `during` alongside, if given.
 */
export async function ingestAtRate(
  ctx: BenchContext,
  settings: Settings,
  label: string,
  ratePerSecond: number,
  seconds: number,
  options: { viewSchema?: string; during?: () => Promise<void>; pollMs?: number; batchMs?: number } = {},
): Promise<{ latency: Percentiles; sent: number; achievedRate: number }> {
  const { prefix } = await ctx.createRunTopics(label, settings.partitions);
  const viewSchema = options.viewSchema ?? `bench_${ctx.runId}_${label}_view`.replace(/-/g, '_');
  const events = await encodeEvents(ctx.serde, [...generateEvents(Math.ceil(ratePerSecond * seconds), 31)].flat(), prefix);
  const projector = await startProjector(ctx, {
    viewSchema,
    groupId: `bench-${ctx.runId}-${label}`,
    pattern: topicPattern(prefix),
    tracing: { on: false },
  });
  const view = ctx.database(viewSchema, 2);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let polling = true;
  const pollMs = options.pollMs ?? 10;
  const poller = (async () => {
    while (polling || sentAt.size > 0) {
      const pending = [...sentAt.keys()];
      if (pending.length) {
        const seen = (await view.raw('SELECT event_id FROM ??.?? WHERE event_id = ANY(?::uuid[])', [
          viewSchema,
          VIEW_TABLE.processed_events,
          pending,
        ])) as { rows: { event_id: string }[] };
        const at = now();
        for (const { event_id } of seen.rows) {
          const sent = sentAt.get(event_id);
          if (sent !== undefined) latencies.push(at - sent);
          sentAt.delete(event_id);
        }
      }
      await sleep(pollMs);
    }
  })();
  const producer = ctx.kafka('admin', 'passerelle-bench-ingest').producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const began = now();
  try {
    const load = publishAtRate(producer, events, ratePerSecond, seconds, options.batchMs ?? PUBLISH_BATCH_MS, (e, at) => {
      sentAt.set(e.eventId, at);
      return {};
    });
    const [sent] = await Promise.all([load, options.during?.()]);
    const achievedRate = rate(sent, now() - began);
    polling = false;
    await Promise.race([poller, sleep(120_000).then(() => sentAt.clear())]);
    return { latency: percentiles(latencies), sent, achievedRate };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nprojector:\n${projector.output()}`);
  } finally {
    polling = false;
    sentAt.clear();
    await producer.disconnect();
    await ctx.stopChild(projector.child);
  }
}

/**
 * The dashboard's queries at `ratePerSecond` for `seconds`, after a warm-up, sent and timed by a
 * process of its own (bench/src/api-load-process.ts) so the bench's own work cannot skew them.
 */
export async function apiLoadFromChild(
  ctx: BenchContext,
  api: RunningChild,
  ratePerSecond: number,
  seconds: number,
  warmupSeconds = 2,
): Promise<ApiLoadResult> {
  const token = await mintDevToken({ secret: JWT_SECRET, issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE, role: 'coordination-office' });
  const child = ctx.spawnTs('bench/src/api-load-process.ts', {
    BENCH_API_URL: api.url,
    BENCH_API_TOKEN: token,
    BENCH_API_RATE: String(ratePerSecond),
    BENCH_API_SECONDS: String(seconds),
    BENCH_API_WARMUP_SECONDS: String(warmupSeconds),
  });
  const output = tail(child, 200);
  // 'close' comes after the output streams ended, so every line has been read.
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode: number | null) => resolve(exitCode)));
  const line = output()
    .split('\n')
    .reverse()
    .find((l: string) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`the API load process failed (exit ${code}):\n${output()}`);
  return JSON.parse(line) as ApiLoadResult;
}

/** "p50 2.1 / p99 19.8 ms; by query p99: /v1/stats/… 19.9, …": where the tail comes from. */
function describeApiRun(result: ApiLoadResult): string {
  const byQuery = Object.entries(result.byQuery).map(([query, latency]) => `${query.split('?')[0]} ${latency.p99.toFixed(1)}`);
  return `p50 ${result.latency.p50.toFixed(1)} / p99 ${result.latency.p99.toFixed(1)} ms, ${result.errors} errors; p99 by query: ${byQuery.join(', ')}`;
}

export interface ApiLimit {
  readonly rate: number;
  readonly runs: readonly Percentiles[];
  readonly p50: Spread;
  readonly p99: Spread;
  /** p99 of each dashboard query over the runs. */
  readonly p99ByQuery: Readonly<Record<string, Spread>>;
  readonly errors: number;
}

function p99ByQuery(results: readonly ApiLoadResult[]): Record<string, Spread> {
  const queries = [...new Set(results.flatMap((result) => Object.keys(result.byQuery)))];
  return Object.fromEntries(queries.map((query) => [query, spread(results.map((result) => result.byQuery[query]?.p99 ?? Number.NaN))]));
}

function apiLimit(settings: Settings, results: readonly ApiLoadResult[]): ApiLimit {
  const runs = results.map((result) => result.latency);
  const errors = results.reduce((n, result) => n + result.errors, 0);
  return {
    rate: settings.apiRate,
    runs,
    p50: spread(runs.map((r) => r.p50)),
    p99: spread(runs.map((r) => r.p99)),
    p99ByQuery: p99ByQuery(results),
    errors,
  };
}

/** L_api: the view-api (its own process) on a seeded view, no ingest. */
export async function measureApi(ctx: BenchContext, settings: Settings, viewSchema: string): Promise<ApiLimit> {
  const api = await startViewApi(ctx, viewSchema);
  const results: ApiLoadResult[] = [];
  try {
    for (let run = 1; run <= settings.repeats; run++) {
      const result = await apiLoadFromChild(ctx, api, settings.apiRate, settings.apiSeconds);
      results.push(result);
      ctx.log(`  run ${run}, no ingest: ${describeApiRun(result)}`);
    }
  } finally {
    await ctx.stopChild(api.child);
  }
  return apiLimit(settings, results);
}

/** Query latency while ingest runs into the same view schema at `ingestRate` events/s. */
export async function measureApiUnderIngest(
  ctx: BenchContext,
  settings: Settings,
  viewSchema: string,
  ingestRate: number,
): Promise<ApiLimit & { ingestRate: number; achievedIngest: number }> {
  const api = await startViewApi(ctx, viewSchema);
  const results: ApiLoadResult[] = [];
  let achieved = 0;
  try {
    for (let run = 1; run <= settings.repeats; run++) {
      // The load starts once the projector is up, so the queries run against a view being written;
      // ingest lasts long enough to cover the load process's start-up and warm-up too.
      const ingest = await ingestAtRate(ctx, settings, `q${run}`, ingestRate, settings.apiSeconds + 8, {
        viewSchema,
        pollMs: 200,
        during: async () => {
          const result = await apiLoadFromChild(ctx, api, settings.apiRate, settings.apiSeconds);
          results.push(result);
          ctx.log(`  run ${run}, under ingest: ${describeApiRun(result)}`);
        },
      });
      achieved = ingest.achievedRate;
    }
  } finally {
    await ctx.stopChild(api.child);
  }
  return { ...apiLimit(settings, results), ingestRate, achievedIngest: achieved };
}
