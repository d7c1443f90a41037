import { createRequire } from 'node:module';
import os from 'node:os';
import { VERSIONS, ZIPKIN_ENVIRONMENT } from '@passerelle/infra';
import type { BenchContext, Settings } from './context.ts';
import {
  measureApi,
  measureApiUnderIngest,
  measureHttp,
  measureSustained,
  ingestAtRate,
  outboxRun,
  PUBLISH_BATCH_MS,
} from './end-to-end.ts';
import { measureKafkaLimit, measureLatencyLimit, measurePgLimit } from './limits.ts';
import { DASHBOARD_QUERIES } from './api-load.ts';
import { measureRebuild } from './rebuild.ts';
import { spread } from './stats.ts';
import { measureConnect } from './connect.ts';
import type { Part } from './settings.ts';
import { zipkinSpansReceived } from './zipkin-load.ts';
import { describeTracing, PRODUCTION_SAMPLING_RATIO, type Tracing } from './services.ts';

export interface Target {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly ratio: number;
  readonly met: boolean | null;
}

export type Results = Record<string, unknown> & { targets: Target[]; notes: string[]; failures: Record<string, string> };

function kafkajsVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('kafkajs/package.json') as { version: string }).version;
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
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
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
  const kafka = selected('limits') ? await step('L_kafka: raw produce and consume', () => measureKafkaLimit(ctx, settings)) : undefined;
  const pg = selected('limits')
    ? await step('L_pg: raw batched upserts into the view tables', () => measurePgLimit(ctx, settings))
    : undefined;
  const lat =
    selected('limits') || selected('latency')
      ? await step('L_lat: produce-to-consume latency, no-op consumer', () => measureLatencyLimit(ctx, settings))
      : undefined;
  Object.assign(results, { limits: { kafka, pg, latency: lat } });
  const lKafka = kafka ? Math.min(kafka.produce.median, kafka.consume.median) : Number.NaN;
  const lPg = pg?.upsert.median ?? Number.NaN;
  const floor = Math.min(lKafka, lPg);

  // 2. Sustained end to end (tracing off), then from the HTTP API.
  const sustained =
    selected('sustained') || selected('latency') || selected('query') || selected('tracing')
      ? await step('sustained: outbox → relay → Kafka → projector → view', () => measureSustained(ctx, settings, { on: false }, 'e2e'))
      : undefined;
  const http = selected('http') ? await step('sustained: adapter HTTP API → view', () => measureHttp(ctx, settings)) : undefined;
  Object.assign(results, { sustained, http });
  const max = sustained?.outbox.median;
  if (max !== undefined) {
    results.targets.push({
      name: 'sustained end to end ≥ 0.5 × min(L_kafka, L_pg)',
      target: Number.isFinite(floor) ? `≥ ${Math.round(0.5 * floor)} ev/s` : 'n/a (limits not measured)',
      measured: `${Math.round(max)} ev/s`,
      ratio: max / floor,
      met: Number.isFinite(floor) ? max >= 0.5 * floor : null,
    });
  }

  // 3. Publish-to-visible latency at 25 % and 75 % of the sustained maximum.
  if (selected('latency') && max) {
    const at = async (share: number) => {
      const runs = [];
      for (let run = 1; run <= settings.repeats; run++) {
        const result = await ingestAtRate(
          ctx,
          settings,
          `lat${Math.round(share * 100)}-${run}`,
          Math.max(1, Math.round(max * share)),
          settings.latencySeconds,
        );
        ctx.log(
          `  ${share * 100} % (${Math.round(max * share)} ev/s): p50 ${result.latency.p50.toFixed(0)} ms, p99 ${result.latency.p99.toFixed(0)} ms, p99.9 ${result.latency.p999.toFixed(0)} ms (${result.latency.count} events, achieved ${Math.round(result.achievedRate)} ev/s)`,
        );
        runs.push(result.latency);
      }
      return {
        rate: Math.round(max * share),
        runs,
        p50: spread(runs.map((r) => r.p50)),
        p99: spread(runs.map((r) => r.p99)),
        p999: spread(runs.map((r) => r.p999)),
      };
    };
    const low = await step('publish-to-visible latency at 25 % of the sustained maximum', () => at(0.25));
    const high = await step('publish-to-visible latency at 75 % of the sustained maximum', () => at(0.75));
    // Kafka's own produce-to-consume latency grows with the rate of single-message sends: the
    // bound is taken from L_lat at the 25 % run's rate (same producer, same rate, no-op consumer).
    const rate25 = Math.max(1, Math.round(max * 0.25));
    const latAt25 = await step(`L_lat at the 25 % run's rate (${rate25}/s) and shape (a batch every ${PUBLISH_BATCH_MS} ms)`, () =>
      measureLatencyLimit(ctx, { ...settings, latencyRate: rate25 }, PUBLISH_BATCH_MS),
    );
    Object.assign(results, {
      latency: {
        at25: low,
        at75: high,
        limitAt25: latAt25,
        batchMs: PUBLISH_BATCH_MS,
        visibleMeans: 'first 10 ms poll of processed_events that sees the committed row',
      },
    });
    if (low && latAt25) {
      const bound = 3 * latAt25.p99.median + 10;
      results.targets.push({
        name: `p99 publish-to-visible at 25 % ≤ 3 × L_lat p99 (same ${rate25}/s, same batches) + 10 ms`,
        target: `≤ ${bound.toFixed(0)} ms`,
        measured: `${low.p99.median.toFixed(0)} ms`,
        ratio: low.p99.median / latAt25.p99.median,
        met: low.p99.median <= bound,
      });
    }
  }

  // 4. Rebuild.
  if (selected('rebuild')) {
    const rebuild = await step(`rebuild of ${settings.rebuildEvents} events, and COPY of its rows`, () =>
      measureRebuild(ctx, settings, settings.quick ? 1 : settings.rebuildEvents >= 1_000_000 ? 1 : settings.repeats),
    );
    Object.assign(results, { rebuild });
    if (rebuild) {
      const limit = (60 * settings.rebuildEvents) / 1_000_000;
      results.targets.push({
        name: `rebuild of ${settings.rebuildEvents.toLocaleString('en')} events ≤ ${limit} s${settings.rebuildEvents === 1_000_000 ? '' : ' (60 s per million, scaled)'}`,
        target: `≤ ${limit} s`,
        measured: `${rebuild.seconds.median.toFixed(1)} s (${Math.round(rebuild.eventsPerSecond.median)} ev/s; ${rebuild.ratioToCopyIn.toFixed(1)} × COPY)`,
        ratio: rebuild.seconds.median / limit,
        met: rebuild.seconds.median <= limit,
      });
    }
  }

  // 5. Query latency: alone, then under ingest at 50 % of the sustained maximum.
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
      if (alone && loaded) {
        results.targets.push({
          name: 'view-api p99 under ingest ≤ 2 × L_api p99',
          target: `≤ ${(2 * alone.p99.median).toFixed(0)} ms`,
          measured: `${loaded.p99.median.toFixed(0)} ms`,
          ratio: loaded.p99.median / alone.p99.median,
          met: loaded.p99.median <= 2 * alone.p99.median,
        });
      }
      if (grown && loaded) {
        const ratio = loaded.p99.median / grown.p99.median;
        results.targets.push({
          name: 'view-api p99 under ingest ≤ 2 × p99 with no ingest on the grown view (reference: contention alone)',
          target: `≤ ${(2 * grown.p99.median).toFixed(0)} ms`,
          measured: `${loaded.p99.median.toFixed(0)} ms`,
          ratio,
          met: ratio <= 2,
        });
      }
    }
  }

  // 6. Tracing cost: the production sampler (a tenth of requests traced, the decision carried by
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
    if (sampled) {
      const share = sampled.outbox.median / sustained.outbox.median;
      results.targets.push({
        name: `tracing on (production sampler, ${Math.round(PRODUCTION_SAMPLING_RATIO * 100)} %) ≥ 95 % of tracing-off throughput`,
        target: '≥ 95 %',
        measured: `${(share * 100).toFixed(0)} % (${Math.round(sampled.outbox.median)} vs ${Math.round(sustained.outbox.median)} ev/s)`,
        ratio: share,
        met: share >= 0.95,
      });
    }
    if (everything) {
      const share = everything.outbox.median / sustained.outbox.median;
      results.targets.push({
        name: 'tracing on, every trace sampled (reference) ≥ 95 % of tracing-off',
        target: '≥ 95 %',
        measured: `${(share * 100).toFixed(0)} % (${Math.round(everything.outbox.median)} vs ${Math.round(sustained.outbox.median)} ev/s)`,
        ratio: share,
        met: share >= 0.95,
      });
    }
  }

  // 7. The Kafka Connect peer.
  if (selected('connect')) {
    const connect = await step('peer: Kafka Connect + Debezium JDBC sink on the same events', () => measureConnect(ctx, settings));
    Object.assign(results, { connect });
    const peer = connect?.eventsPerSecond.median;
    const projector = connect?.projectorEventsPerSecond.median;
    // Like for like: both read the same pre-produced events into PostgreSQL (the sustained figure also includes the relay).
    if (peer && projector) {
      results.targets.push({
        name: 'projector ahead of the Kafka Connect peer on the same pre-produced events',
        target: `> ${Math.round(peer)} ev/s`,
        measured: `${Math.round(projector)} ev/s`,
        ratio: projector / peer,
        met: projector > peer,
      });
    }
    if (peer && max) {
      results.targets.push({
        name: 'sustained end to end (outbox → relay → view) ahead of the Kafka Connect peer (Kafka → tables)',
        target: `> ${Math.round(peer)} ev/s`,
        measured: `${Math.round(max)} ev/s`,
        ratio: max / peer,
        met: max > peer,
      });
    }
  }

  (results.machine as Record<string, unknown>)['loadAverageAtEnd'] = os.loadavg().map((n) => Number(n.toFixed(2)));
  return results;
}
