import { createRequire } from 'node:module';
import os from 'node:os';
import { VERSIONS, ZIPKIN_ENVIRONMENT } from '@passerelle/infra';
import type { BenchContext, Settings } from './context.ts';
import { measureApi, measureApiUnderIngest, measureSustained, outboxRun, PUBLISH_BATCH_MS } from './end-to-end.ts';
import { measureAcceptanceLatency, measureHttp, measureHttpLimit, measurePublishToVisible } from './http.ts';
import { measureKafkaLimit, measureKafkaPerfTest, measureLatencyLimit, measurePgCopyLimit, measurePgLimit } from './limits.ts';
import { DASHBOARD_QUERIES } from './api-load.ts';
import { measureRebuild } from './rebuild.ts';
import { spread, type Spread } from './stats.ts';
import { measureConnect } from './connect.ts';
import type { Part } from './settings.ts';
import { target, type Target } from './targets.ts';
import { zipkinSpansReceived } from './zipkin-load.ts';
import { describeTracing, PRODUCTION_SAMPLING_RATIO, type Tracing } from './services.ts';

export type { Target };

export type Results = Record<string, unknown> & { targets: Target[]; notes: string[]; failures: Record<string, string> };

/** The HTTP targets: requests per second with `HTTP_CLIENTS` clients, and p99 acceptance at half that rate. */
export const HTTP_TARGET_RATE = 3_000;
export const ACCEPTANCE_P99_TARGET_MS = 50;

function kafkajsVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('kafkajs/package.json') as { version: string }).version;
}

/** Run by run, the smallest of several measurements' runs (each missing one is left out): the floor of the limits. */
export function runwiseMin(...measurements: (Spread | undefined)[]): Spread | undefined {
  const present = measurements.filter((m): m is Spread => m !== undefined && m.runs > 0);
  if (present.length === 0) return undefined;
  const runs = Math.min(...present.map((m) => m.runs));
  return spread(Array.from({ length: runs }, (_, i) => Math.min(...present.map((m) => m.values[i] as number))));
}

/** Run by run, the larger of two measurements of the same thing (two clients of the same broker). */
export function runwiseMax(a: Spread | undefined, b: Spread | undefined): Spread | undefined {
  if (!a?.runs) return b?.runs ? b : undefined;
  if (!b?.runs) return a;
  const runs = Math.min(a.runs, b.runs);
  return spread(Array.from({ length: runs }, (_, i) => Math.max(a.values[i] as number, b.values[i] as number)));
}

/** Runs the selected parts in order (limits first), one progress line per step; a failing part is recorded and the rest goes on. */
export async function runBench(ctx: BenchContext, settings: Settings): Promise<Results> {
  const selected = (part: Part) => settings.only.includes(part);
  const db = ctx.database(undefined, 1);
  const pgVersion = String(((await db.raw('SHOW server_version')) as { rows: { server_version: string }[] }).rows[0]?.server_version);
  const results: Results = {
    startedAt: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      loadAverageAtStart: os.loadavg().map((n) => Number(n.toFixed(2))),
    },
    versions: { node: process.version, kafka: VERSIONS.kafka, postgres: pgVersion, kafkajs: kafkajsVersion(), apicurio: VERSIONS.apicurio },
    settings,
    targets: [],
    notes: [],
    failures: {},
  };
  const load: { step: string; loadAverage: number[] }[] = [];
  (results.machine as Record<string, unknown>)['loadAverageByStep'] = load;
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
    // Autovacuum is off on this server: the dead rows of the part before are cleared, and the
    // planner's statistics refreshed, outside any measurement.
    await db
      .raw('VACUUM (ANALYZE, SKIP_LOCKED)')
      .catch((error: unknown) => ctx.log(`  VACUUM ANALYZE failed: ${(error as Error).message}`));
    load.push({ step: name, loadAverage: os.loadavg().map((n) => Number(n.toFixed(2))) });
    const began = Date.now();
    ctx.log(`▶ ${name}`);
    try {
      const value = await work();
      ctx.log(`✔ ${name} (${((Date.now() - began) / 1000).toFixed(0)} s)`);
      return value;
    } catch (error) {
      const message = (error as Error).message.split('\n').slice(0, 12).join('\n');
      ctx.log(`✘ ${name}: ${message}`);
      results.failures[name] = message;
      return undefined;
    }
  };

  // 1. Limits of this machine, in this run.
  const limits = selected('limits');
  const kafka = limits ? await step('L_kafka: raw kafkajs produce and consume', () => measureKafkaLimit(ctx, settings)) : undefined;
  const perfTest = limits
    ? await step("L_kafka: the broker's own client (kafka-producer-perf-test)", () => measureKafkaPerfTest(ctx, settings))
    : undefined;
  const pg = limits
    ? await step('L_pg: batched upserts into the view tables (record sets)', () => measurePgLimit(ctx, settings))
    : undefined;
  const pgCopy = limits ? await step('L_pg: binary COPY into the view tables', () => measurePgCopyLimit(ctx, settings)) : undefined;
  const lat = limits
    ? await step('L_lat: produce-to-consume latency, no-op consumer', () => measureLatencyLimit(ctx, settings))
    : undefined;
  Object.assign(results, { limits: { kafka, perfTest, pg, pgCopy, latency: lat } });
  // L_kafka: the faster of the two producers (kafkajs, the broker's own), bounded by the consumer;
  // the floor: the smaller of that and PostgreSQL's COPY, run by run.
  const lKafka = runwiseMin(runwiseMax(kafka?.produce, perfTest?.produce), kafka?.consume);
  const floor = runwiseMin(lKafka, pgCopy?.copy);

  // 2. Sustained end to end (tracing off), the outbox written while it drains.
  const sustained =
    selected('sustained') || selected('query') || selected('tracing')
      ? await step('sustained: outbox (written concurrently) → relay → Kafka → projector → view', () =>
          measureSustained(ctx, settings, { on: false }, 'e2e'),
        )
      : undefined;
  Object.assign(results, { sustained });
  const max = sustained?.outbox.median;
  if (sustained && selected('sustained'))
    results.targets.push(
      target(
        'sustained outbox → view (outbox written concurrently) ≥ 0.5 × min(L_kafka, L_pg COPY)',
        sustained.outbox,
        'ev/s',
        floor && {
          direction: 'atLeast',
          reference: floor,
          factor: 0.5,
        },
      ),
    );

  // 3. The ministries' path: L_http and the adapter at the same concurrency, then acceptance latency at half the target rate.
  let httpAccepted: Spread | undefined;
  if (selected('http')) {
    const lHttp = await step(`L_http: bare express + one INSERT per request (${settings.httpConcurrency} clients)`, () =>
      measureHttpLimit(ctx, settings),
    );
    const http = await step(`sustained: adapter HTTP API → view (${settings.httpConcurrency} clients)`, () => measureHttp(ctx, settings));
    const acceptanceRate = HTTP_TARGET_RATE / 2;
    const acceptance = await step(`acceptance latency at ${acceptanceRate} req/s (open loop)`, () =>
      measureAcceptanceLatency(ctx, settings, acceptanceRate),
    );
    Object.assign(results, { http: http && { ...http, limit: lHttp, acceptance } });
    httpAccepted = http?.accepted;
    const ref = lHttp && { direction: 'atLeast' as const, reference: lHttp.acceptedPerSecond, factor: 0.5 };
    const clients = `${settings.httpConcurrency} clients`;
    results.targets.push(
      target(`HTTP accepted (202) ≥ 0.5 × L_http (same run, ${clients})`, http?.accepted, 'req/s', ref),
      target(`HTTP visible in the view ≥ 0.5 × L_http (same run, ${clients})`, http?.visible, 'ev/s', ref),
      target(`HTTP accepted ≥ ${HTTP_TARGET_RATE} req/s with ${clients}`, http?.accepted, 'req/s', {
        direction: 'atLeast',
        reference: HTTP_TARGET_RATE,
      }),
      target(`HTTP visible ≥ ${HTTP_TARGET_RATE} ev/s with ${clients}`, http?.visible, 'ev/s', {
        direction: 'atLeast',
        reference: HTTP_TARGET_RATE,
      }),
      target(
        `p99 acceptance ≤ ${ACCEPTANCE_P99_TARGET_MS} ms at ${acceptanceRate} req/s (open loop, from the scheduled send)`,
        acceptance?.p99,
        'ms',
        { direction: 'atMost', reference: ACCEPTANCE_P99_TARGET_MS },
        1,
      ),
    );
  }

  // 4. Publish→visible from the ministry's request at 25 % load, against raw Kafka at the same rate.
  if (selected('latency')) {
    const base = httpAccepted?.median ?? HTTP_TARGET_RATE;
    const rate25 = Math.max(1, Math.round(base * 0.25));
    const basis = httpAccepted ? 'the HTTP run' : `${HTTP_TARGET_RATE} req/s, the HTTP part not run`;
    const visible = await step(`publish→visible from the HTTP request at 25 % load (${rate25} req/s, 25 % of ${basis})`, () =>
      measurePublishToVisible(ctx, settings, rate25),
    );
    // Raw Kafka at the same rate, sent as the adapter's relay sends: a batch of what is due every 10 ms
    // (a send per message costs kafkajs more than it measures Kafka at these rates).
    const raw = await step(`L_lat: raw Kafka produce→consume at the same rate (${rate25}/s, a batch every ${PUBLISH_BATCH_MS} ms)`, () =>
      measureLatencyLimit(ctx, { ...settings, latencyRate: rate25 }, PUBLISH_BATCH_MS),
    );
    Object.assign(results, { latency: { at25: visible, rawAt25: raw, basis } });
    results.targets.push(
      target(
        `p99 publish→visible from the HTTP request at 25 % load (${rate25} req/s) ≤ 3 × raw Kafka p99 at that rate + 10 ms`,
        visible?.p99,
        'ms',
        raw && { direction: 'atMost', reference: raw.p99, factor: 3, offset: 10 },
        1,
      ),
    );
  }

  // 5. Rebuild: 1M events, 3 runs; then 3M once, for memory bounded independently of the events.
  if (selected('rebuild')) {
    const rebuild = await step(`rebuild of ${settings.rebuildEvents} events (${settings.repeats} runs), and COPY of its rows`, () =>
      measureRebuild(ctx, settings, settings.repeats),
    );
    const larger = await step(`rebuild of ${settings.rebuildMemoryEvents} events (once), for its peak memory`, () =>
      measureRebuild(ctx, { ...settings, rebuildEvents: settings.rebuildMemoryEvents }, 1, false),
    );
    Object.assign(results, { rebuild, rebuildLarger: larger });
    const limit = (30 * settings.rebuildEvents) / 1_000_000;
    const scaled = settings.rebuildEvents === 1_000_000 ? '' : ' (30 s per million, scaled)';
    results.targets.push(
      target(
        `rebuild of ${settings.rebuildEvents.toLocaleString('en')} events ≤ ${limit} s${scaled}, every run`,
        rebuild?.seconds,
        's',
        {
          direction: 'atMost',
          reference: limit,
        },
        1,
      ),
      target(
        `rebuild peak memory for ${settings.rebuildMemoryEvents.toLocaleString('en')} events ≤ 1.2 × that for ${settings.rebuildEvents.toLocaleString('en')}`,
        larger?.peakRssMiB,
        'MiB',
        rebuild && { direction: 'atMost', reference: rebuild.peakRssMiB, factor: 1.2 },
      ),
    );
  }

  // 6. Query latency: alone, then under ingest at 50 % of the sustained maximum.
  if (selected('query')) {
    const seeded =
      sustained?.runs.at(-1)?.viewSchema ??
      (await step('seed a view for the API', () => outboxRun(ctx, settings, 'seed', { on: false })))?.viewSchema;
    if (seeded) {
      const alone = await step('L_api: view-api on a seeded view, no ingest', () => measureApi(ctx, settings, seeded));
      const loaded = max
        ? await step('view-api under ingest at 50 % of the sustained maximum', () =>
            measureApiUnderIngest(ctx, settings, seeded, Math.round(max * 0.5)),
          )
        : undefined;
      // The ingest also grows the view the queries read: the same load once more with no ingest, on
      // the view as the ingest left it, tells that part of the slowdown from the contention.
      const grown = loaded
        ? await step('view-api again with no ingest, on the view the ingest grew', () => measureApi(ctx, settings, seeded))
        : undefined;
      Object.assign(results, { api: { limit: alone, underIngest: loaded, afterIngest: grown, queries: DASHBOARD_QUERIES } });
      results.targets.push(
        target(
          'view-api p99 under ingest ≤ 2 × idle p99',
          loaded?.p99,
          'ms',
          alone && { direction: 'atMost', reference: alone.p99, factor: 2 },
          1,
        ),
        target(
          'view-api p99 under ingest ≤ 2 × p99 with no ingest on the grown view (reference: contention alone)',
          loaded?.p99,
          'ms',
          grown && { direction: 'atMost', reference: grown.p99, factor: 2 },
          1,
        ),
      );
    }
  }

  // 7. Tracing cost: the production sampler (a tenth of requests traced, the decision carried by
  // their events), then every trace sampled, each against the tracing-off runs above.
  if (selected('tracing') && sustained) {
    const cap = Number(ZIPKIN_ENVIRONMENT['MEM_MAX_SPANS']);
    const received = await zipkinSpansReceived(ctx.stack.zipkinUrl);
    if (received !== undefined && received >= cap) {
      const warning = `Zipkin has received ${received} spans since it started (its in-memory store keeps ${cap}): it evicts on every write, so the tracing figures below measure that too. Restart it first: npm run infra -- down zipkin && npm run infra -- up zipkin`;
      ctx.log(`  ${warning}`);
      results.notes.push(warning);
    }
    const production: Tracing = { on: true, ratio: PRODUCTION_SAMPLING_RATIO };
    const sampled = await step(`sustained with tracing ${describeTracing(production)} (Zipkin)`, () =>
      measureSustained(ctx, settings, production, 'trace'),
    );
    const everything = await step('sustained with tracing on, every trace sampled (Zipkin)', () =>
      measureSustained(ctx, settings, { on: true, ratio: 1 }, 'traceall'),
    );
    Object.assign(results, {
      tracing: {
        off: sustained.outbox,
        sampled: sampled?.outbox,
        ratio: PRODUCTION_SAMPLING_RATIO,
        everything: everything?.outbox,
        cpu: { sampled: sampled?.runs.at(-1)?.cpuPerThousand, everything: everything?.runs.at(-1)?.cpuPerThousand },
      },
    });
    const off = { direction: 'atLeast' as const, reference: sustained.outbox, factor: 0.95 };
    results.targets.push(
      target(
        `tracing at the production sampler (${Math.round(PRODUCTION_SAMPLING_RATIO * 100)} % of traces) ≥ 95 % of tracing-off throughput`,
        sampled?.outbox,
        'ev/s',
        off,
      ),
      target('tracing on, every trace sampled (reference) ≥ 95 % of tracing-off throughput', everything?.outbox, 'ev/s', off),
    );
  }

  // 8. The Kafka Connect peer, tuned as its users run it.
  if (selected('connect')) {
    const connect = await step('peer: Kafka Connect + Debezium JDBC sink (tuned) on the same events', () => measureConnect(ctx, settings));
    Object.assign(results, { connect });
    results.targets.push(
      target(
        'projector ≥ 1.5 × the tuned Kafka Connect JDBC sink on the same events, all runs',
        connect?.projectorEventsPerSecond,
        'ev/s',
        connect && { direction: 'atLeast', reference: connect.eventsPerSecond, factor: 1.5 },
      ),
    );
  }

  (results.machine as Record<string, unknown>)['loadAverageAtEnd'] = os.loadavg().map((n) => Number(n.toFixed(2)));
  return results;
}
