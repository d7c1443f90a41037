/**
 * The ministries' own path, from their HTTP request to the view, against L_http (a bare express
 * server doing one INSERT per request on the same PostgreSQL, in the same run, at the same
 * concurrency): throughput with 64 clients, acceptance latency at a fixed rate, and
 * publish→visible from the request to the view at 25 % load.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from '@passerelle/db';
import { highWatermarks } from '@passerelle/kafka';
import { VIEW_TABLE } from '@passerelle/coordination-view';
import { freePort } from '@passerelle/testing';
import { waitFor, type BenchContext, type Settings } from './context.ts';
import { Poster, openLoopPosts, parseNumbers, schoolBoardReferral, type LoadResult } from './http-load.ts';
import { now } from './open-loop.ts';
import { pollUntil } from './poll.ts';
import { ADAPTER_TOKEN, startEducationAdapter, startProjector, tail, type RunningChild } from './services.ts';
import { accountedPercentiles, rate, spread, type Percentiles, type Spread } from './stats.ts';

const EDUCATION_TOPIC = 'education.referrals.v1';

/** Runs bench/src/http-load-process.ts against `url` and returns its result. */
async function loadFromChild(
  ctx: BenchContext,
  url: string,
  token: string,
  runId: string,
  options: { clients: number; seconds: number; rate?: number; keepEvents?: boolean },
): Promise<LoadResult> {
  const child = ctx.spawnTs('bench/src/http-load-process.ts', {
    BENCH_HTTP_URL: url,
    BENCH_HTTP_TOKEN: token,
    BENCH_HTTP_RUN: runId,
    BENCH_HTTP_CLIENTS: String(options.clients),
    BENCH_HTTP_SECONDS: String(options.seconds),
    ...(options.rate ? { BENCH_HTTP_RATE: String(options.rate) } : {}),
    ...(options.keepEvents ? { BENCH_HTTP_KEEP: 'events' } : {}),
  });
  const output = tail(child, 20);
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode: number | null) => resolve(exitCode)));
  const line = output()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`the HTTP load process failed (exit ${code}):\n${output().slice(-2_000)}`);
  return parseNumbers<LoadResult>(line);
}

/** bench/src/bare-http-process.ts on a table of its own; resolves with its URL once it listens. */
async function startBareServer(ctx: BenchContext, schema: string): Promise<RunningChild> {
  const port = await freePort();
  const child = ctx.spawnTs('bench/src/bare-http-process.ts', {
    DATABASE_URL: ctx.benchDatabaseUrl,
    BENCH_SCHEMA: schema,
    BENCH_TOKEN: ADAPTER_TOKEN,
    PORT: String(port),
  });
  const output = tail(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the L_http server exited (${code}):\n${output()}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/referrals`, output };
}

export interface HttpLimit {
  readonly acceptedPerSecond: Spread;
  readonly p99: Spread;
  readonly clients: number;
  readonly runs: readonly LoadResult[];
}

/** L_http: the bare server under the same closed-loop load as the adapter, 3 runs. */
export async function measureHttpLimit(ctx: BenchContext, settings: Settings): Promise<HttpLimit> {
  const runs: LoadResult[] = [];
  for (let run = 1; run <= settings.repeats; run++) {
    const schema = `bench_${ctx.runId}_lhttp${run}`;
    const server = await startBareServer(ctx, schema);
    const db = ctx.database(undefined, 1);
    try {
      const result = withoutAnswers(
        await loadFromChild(ctx, server.url, ADAPTER_TOKEN, `${ctx.runId}l${run}`, {
          clients: settings.httpConcurrency,
          seconds: settings.httpSeconds,
        }),
      );
      if (result.accepted === 0) throw new Error(`the L_http server accepted nothing: ${JSON.stringify(result.statuses)}`);
      runs.push(result);
      ctx.log(
        `  L_http run ${run}: ${Math.round(result.acceptedPerSecond)} req/s (${settings.httpConcurrency} clients, ${result.failed} failed), p99 ${result.latency.p99.toFixed(1)} ms`,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\nL_http server:\n${server.output()}`);
    } finally {
      await ctx.stopChild(server.child);
      await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
    }
  }
  return {
    acceptedPerSecond: spread(runs.map((r) => r.acceptedPerSecond)),
    p99: spread(runs.map((r) => r.latency.p99)),
    clients: settings.httpConcurrency,
    runs,
  };
}

const withoutAnswers = (result: LoadResult): LoadResult => ({ ...result, answers: undefined });

interface Pipeline {
  readonly adapter: RunningChild;
  readonly projector: RunningChild;
  readonly view: Knex;
  readonly viewSchema: string;
  readonly stop: () => Promise<void>;
}

/**
 * adapter-education (its own process: HTTP, acceptance, outbox and the relay it embeds) and the
 * projector (its own process) reading education.referrals.v1 from its current end into a fresh
 * view: earlier events on the shared topic are not the run's.
 */
async function startPipeline(ctx: BenchContext, label: string): Promise<Pipeline> {
  const viewSchema = `bench_${ctx.runId}_${label}_view`;
  const groupId = `bench-${ctx.runId}-${label}`;
  const admin = ctx.kafka('admin', 'passerelle-bench-admin').admin();
  await admin.connect();
  const marks = await highWatermarks(admin, [EDUCATION_TOPIC]);
  await admin.setOffsets({
    groupId,
    topic: EDUCATION_TOPIC,
    partitions: [...marks].map(([key, mark]) => ({ partition: Number(key.split(':').at(-1)), offset: String(mark.high) })),
  });
  await admin.disconnect();
  const adapter = await startEducationAdapter(ctx, `bench_${ctx.runId}_${label}_adapter`, { on: false });
  const projector = await startProjector(ctx, {
    viewSchema,
    groupId,
    pattern: `^${EDUCATION_TOPIC.replace(/\./g, '\\.')}$`,
    tracing: { on: false },
  }).catch(async (error: unknown) => {
    await ctx.stopChild(adapter.child);
    throw error;
  });
  const view = ctx.database(viewSchema, 2);
  return {
    adapter,
    projector,
    view,
    viewSchema,
    stop: async () => {
      await ctx.stopChild(adapter.child);
      await ctx.stopChild(projector.child);
      await view.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [viewSchema]).catch(() => undefined);
    },
  };
}

const countRows = async (db: Knex, sql: string, bindings: readonly unknown[]): Promise<number> =>
  Number(((await db.raw(sql, bindings as never)) as { rows: { n: string | number }[] }).rows[0]?.n ?? 0);

export interface HttpRun {
  readonly acceptedPerSecond: number;
  readonly visiblePerSecond: number;
  readonly accepted: number;
  readonly failed: number;
  readonly acceptanceP99: number;
  readonly clients: number;
}

export interface HttpThroughput {
  readonly accepted: Spread;
  readonly visible: Spread;
  readonly acceptanceP99: Spread;
  readonly runs: readonly HttpRun[];
}

/**
 * The adapter under the same closed loop as L_http (64 clients by default, for httpSeconds):
 * accepted = 202s per second; visible = the same requests' events in the view, from the first
 * request until the last of them is there.
 */
export async function measureHttp(ctx: BenchContext, settings: Settings): Promise<HttpThroughput> {
  const runs: HttpRun[] = [];
  for (let run = 1; run <= settings.repeats; run++) {
    const pipeline = await startPipeline(ctx, `http${run}`);
    const { view, viewSchema } = pipeline;
    try {
      const load = await loadFromChild(ctx, `${pipeline.adapter.url}/referrals`, ADAPTER_TOKEN, `${ctx.runId}h${run}`, {
        clients: settings.httpConcurrency,
        seconds: settings.httpSeconds,
        keepEvents: true,
      });
      const ids = load.answers ?? [];
      if (ids.length === 0) throw new Error(`adapter-education accepted nothing: ${JSON.stringify(load.statuses)}`);
      // Cheap polls of the whole table first (it may also hold warm-up or foreign events, so it
      // can only say "not yet"), then of these ids for the tail.
      const alive = () => {
        if (pipeline.projector.child.exitCode !== null || pipeline.adapter.child.exitCode !== null)
          throw new Error('the projector or the adapter exited');
      };
      await pollUntil('the accepted events in the view', ids.length, () => {
        alive();
        return countRows(view, 'SELECT count(*) AS n FROM ??.??', [viewSchema, VIEW_TABLE.processed_events]);
      });
      const { doneAt } = await pollUntil(
        'the accepted events in the view, by id',
        ids.length,
        () => {
          alive();
          return countRows(view, 'SELECT count(*) AS n FROM ??.?? WHERE event_id = ANY(?::uuid[])', [
            viewSchema,
            VIEW_TABLE.processed_events,
            ids,
          ]);
        },
        600_000,
      );
      runs.push({
        acceptedPerSecond: load.acceptedPerSecond,
        visiblePerSecond: rate(ids.length, doneAt - load.startedAt),
        accepted: load.accepted,
        failed: load.failed,
        acceptanceP99: load.latency.p99,
        clients: settings.httpConcurrency,
      });
      const last = runs.at(-1) as HttpRun;
      ctx.log(
        `  HTTP→view run ${run}: ${Math.round(last.acceptedPerSecond)} req/s accepted (${load.failed} failed, p99 ${last.acceptanceP99.toFixed(1)} ms), ${Math.round(last.visiblePerSecond)} ev/s visible (${settings.httpConcurrency} clients)`,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\nadapter:\n${pipeline.adapter.output()}\nprojector:\n${pipeline.projector.output()}`);
    } finally {
      await pipeline.stop();
    }
  }
  return {
    accepted: spread(runs.map((r) => r.acceptedPerSecond)),
    visible: spread(runs.map((r) => r.visiblePerSecond)),
    acceptanceP99: spread(runs.map((r) => r.acceptanceP99)),
    runs,
  };
}

export interface FixedRateLatency {
  readonly rate: number;
  readonly seconds: number;
  readonly runs: readonly (Percentiles & { readonly unseen: number })[];
  readonly p50: Spread;
  readonly p99: Spread;
  readonly p999: Spread;
  /** Samples not seen within the deadline, over all runs (counted in the percentiles as slower than any). */
  readonly unseen: number;
  readonly sent: number;
}

function fixedRate(rateValue: number, seconds: number, runs: (Percentiles & { unseen: number })[], sent: number): FixedRateLatency {
  return {
    rate: rateValue,
    seconds,
    runs,
    p50: spread(runs.map((r) => r.p50)),
    p99: spread(runs.map((r) => r.p99)),
    p999: spread(runs.map((r) => r.p999)),
    unseen: runs.reduce((n, r) => n + r.unseen, 0),
    sent,
  };
}

/** Time to the 202 at a fixed rate (open loop, from each request's scheduled time), the adapter alone. */
export async function measureAcceptanceLatency(ctx: BenchContext, settings: Settings, ratePerSecond: number): Promise<FixedRateLatency> {
  const runs: (Percentiles & { unseen: number })[] = [];
  let sent = 0;
  for (let run = 1; run <= settings.repeats; run++) {
    const pipeline = await startPipeline(ctx, `acc${run}`);
    try {
      const load = await loadFromChild(ctx, `${pipeline.adapter.url}/referrals`, ADAPTER_TOKEN, `${ctx.runId}a${run}`, {
        clients: settings.httpConcurrency,
        seconds: settings.latencySeconds,
        rate: ratePerSecond,
      });
      runs.push(load.latency);
      sent += load.sent;
      ctx.log(
        `  acceptance at ${ratePerSecond} req/s run ${run}: p50 ${load.latency.p50.toFixed(1)} ms, p99 ${load.latency.p99.toFixed(1)} ms (${load.sent} sent, ${load.failed} not answered 202 within 30 s: ${JSON.stringify(load.statuses)})`,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\nadapter:\n${pipeline.adapter.output()}`);
    } finally {
      await pipeline.stop();
    }
  }
  return fixedRate(ratePerSecond, settings.latencySeconds, runs, sent);
}

export interface PublishToVisible extends FixedRateLatency {
  /** From the 202 to the view (the part after the answer), for the record. */
  readonly fromAnswerP99: Spread;
  readonly deadlineMs: number;
}

/**
 * Publish→visible from the ministry's request: POSTs at a fixed rate (open loop, from this
 * process), each request's events looked up in the view every 10 ms; latency = first poll that
 * sees them − the time the request was scheduled for. A request refused or not visible within
 * `deadlineMs` is counted as never seen, never dropped.
 */
export async function measurePublishToVisible(
  ctx: BenchContext,
  settings: Settings,
  ratePerSecond: number,
  deadlineMs = 60_000,
): Promise<PublishToVisible> {
  const runs: (Percentiles & { unseen: number })[] = [];
  const fromAnswer: number[] = [];
  let sent = 0;
  for (let run = 1; run <= settings.repeats; run++) {
    const pipeline = await startPipeline(ctx, `p2v${run}`);
    const { view, viewSchema } = pipeline;
    const poster = new Poster(`${pipeline.adapter.url}/referrals`, ADAPTER_TOKEN, settings.httpConcurrency);
    // eventId → [scheduled send time, 202 time]
    const pending = new Map<string, [number, number]>();
    const latencies: number[] = [];
    const afterAnswer: number[] = [];
    let expired = 0;
    let loading = true;
    const poller = (async () => {
      while (loading || pending.size > 0) {
        if (pending.size) {
          const seen = (await view.raw('SELECT event_id FROM ??.?? WHERE event_id = ANY(?::uuid[])', [
            viewSchema,
            VIEW_TABLE.processed_events,
            [...pending.keys()],
          ])) as { rows: { event_id: string }[] };
          const at = now();
          for (const { event_id } of seen.rows) {
            const times = pending.get(event_id);
            if (!times) continue;
            pending.delete(event_id);
            if (at - times[0] <= deadlineMs) {
              latencies.push(at - times[0]);
              afterAnswer.push(at - times[1]);
            } else expired++;
          }
          for (const [id, times] of pending)
            if (at - times[0] > deadlineMs) {
              pending.delete(id);
              expired++;
            }
        }
        await sleep(10);
      }
    })();
    try {
      // Warm-up outside the clock: connections open, the projector has joined and applied something.
      await Promise.all(Array.from({ length: 8 }, (_, i) => poster.post(schoolBoardReferral(i, `${ctx.runId}p${run}w`))));
      await waitFor(
        'the warm-up in the view',
        async () => (await countRows(view, 'SELECT count(*) AS n FROM ??.??', [viewSchema, VIEW_TABLE.processed_events])) >= 8,
        120_000,
        200,
      );
      let requests = 0;
      const load = await openLoopPosts(
        poster,
        ratePerSecond,
        settings.latencySeconds,
        (i) => schoolBoardReferral(i, `${ctx.runId}p${run}`),
        (answer, scheduledFor, answeredAt) => {
          requests++;
          for (const e of (JSON.parse(answer) as { events?: { eventId: string }[] }).events ?? [])
            pending.set(e.eventId, [scheduledFor, answeredAt]);
        },
        deadlineMs,
      );
      loading = false;
      await poller;
      // Every request scheduled is a sample (one event each): refused, unanswered or not visible in time = unseen.
      const unseen = load.sent - requests + expired;
      const result = accountedPercentiles(latencies, unseen);
      runs.push(result);
      fromAnswer.push(accountedPercentiles(afterAnswer, unseen).p99);
      sent += load.sent;
      ctx.log(
        `  publish→visible at ${ratePerSecond} req/s run ${run}: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, p99.9 ${result.p999.toFixed(1)} ms; ${load.sent} requests, ${requests} accepted, ${result.unseen} not seen within ${deadlineMs / 1000} s`,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\nadapter:\n${pipeline.adapter.output()}\nprojector:\n${pipeline.projector.output()}`);
    } finally {
      loading = false;
      pending.clear();
      await poller.catch(() => undefined);
      poster.close();
      await pipeline.stop();
    }
  }
  return { ...fixedRate(ratePerSecond, settings.latencySeconds, runs, sent), fromAnswerP99: spread(fromAnswer), deadlineMs };
}
