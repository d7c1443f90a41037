import fs from 'node:fs';
import { highWatermarks } from '@passerelle/kafka';
import type { RebuildProgress, RebuildReport } from '@passerelle/projector';
import { REBUILD_NODE_FLAGS } from '@passerelle/projector';
import { topicPattern, waitFor, type BenchContext, type Settings } from './context.ts';
import { encodeEvents, generateEvents } from './events.ts';
import { now, produceAll } from './limits.ts';
import { KEY_ENCRYPTION_KEY, RECORD_KEY_SECRET } from './services.ts';
import { rate, spread, type Spread } from './stats.ts';
import { MIGRATIONS_TABLE } from '@passerelle/coordination-view';

/** The cached event set: `bench-rebuild-spread-<count>.<ministry>.<family>.v1`, generated once and reused. */
export async function ensureRebuildTopics(
  ctx: BenchContext,
  settings: Settings,
): Promise<{ prefix: string; topics: string[]; reused: boolean; generateMs: number }> {
  // "spread": the events in the order generateEvents gives since it spreads each referral over the run (an older set is not reused).
  const prefix = `bench-rebuild-spread-${settings.rebuildEvents}.`;
  const topics = await ctx.createTopics(prefix, settings.partitions);
  const admin = ctx.kafka('admin', 'passerelle-bench-admin').admin();
  await admin.connect();
  try {
    // Right after creation the broker may not answer for a partition yet: ask again.
    const held = () =>
      waitFor(
        "the rebuild topics' offsets",
        async () => [...(await highWatermarks(admin, topics)).values()].reduce((sum, mark) => sum + (mark.high - mark.low), 0) + 1,
        30_000,
        500,
      ).then((n) => n - 1);
    const present = await held();
    if (present === settings.rebuildEvents) return { prefix, topics, reused: true, generateMs: 0 };
    if (present > 0) {
      ctx.log(`  rebuild set holds ${present} events, not ${settings.rebuildEvents}: recreating it`);
      await admin.deleteTopics({ topics });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await ctx.createTopics(prefix, settings.partitions);
    }
    const began = now();
    let produced = 0;
    for (const slice of generateEvents(settings.rebuildEvents, 41, 50_000)) {
      await produceAll(ctx, await encodeEvents(ctx.serde, slice, prefix), settings.produceBatch);
      produced += slice.length;
      if (produced % 200_000 === 0 || produced === settings.rebuildEvents)
        ctx.log(`  rebuild set: ${produced} / ${settings.rebuildEvents} events produced`);
    }
    const after = await held();
    if (after !== settings.rebuildEvents)
      throw new Error(`the rebuild set holds ${after} events after generation, expected ${settings.rebuildEvents}`);
    return { prefix, topics, reused: false, generateMs: now() - began };
  } finally {
    await admin.disconnect();
  }
}

export interface RebuildResult {
  readonly events: number;
  readonly reusedTopics: boolean;
  readonly seconds: Spread;
  readonly eventsPerSecond: Spread;
  /** The rebuild process's peak resident memory, as its report gives it. */
  readonly peakRssMiB: Spread;
  readonly rows: number;
  readonly copyOutSeconds: number;
  readonly copyInSeconds: number;
  readonly ratioToCopyIn: number;
  readonly tables: Record<string, number>;
  readonly copyError?: string;
}

/**
 * Runs `projector rebuild --json` as an operator would, in a process of its own with the V8
 * flags a rebuild runs with, logging its progress every 10 s; resolves to its report.
 */
async function runRebuildCommand(ctx: BenchContext, run: number, env: Record<string, string>): Promise<RebuildReport> {
  const child = ctx.spawnTs('services/projector/src/entry-points/cli.ts', env, ['rebuild', '--json'], REBUILD_NODE_FLAGS);
  let report: RebuildReport | undefined;
  let stderr = '';
  let pending = '';
  let lastLine = 0;
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const parsed = JSON.parse(line) as { progress?: RebuildProgress; report?: RebuildReport };
      if (parsed.report) report = parsed.report;
      const p = parsed.progress;
      if (!p || p.elapsedMs - lastLine <= 10_000) continue;
      lastLine = p.elapsedMs;
      const rows = p.rowsTotal ? `, ${p.rowsWritten} / ${p.rowsTotal} rows` : '';
      ctx.log(
        `  rebuild run ${run}: ${p.phase}, ${p.events} events, ${p.eventsPerSecond} ev/s, lag ${p.lag}${rows}, RSS ${Math.round(p.rssBytes / 2 ** 20)} MiB`,
      );
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  if (code !== 0 || !report) throw new Error(`projector rebuild exited with ${code}: ${stderr.trim()}`);
  return report;
}

/** Times the projector's own rebuild (runRebuild: replay from offset 0 into a fresh schema, switch) and COPY of what it built. */
export async function measureRebuild(ctx: BenchContext, settings: Settings, repeats: number, withCopy = true): Promise<RebuildResult> {
  const set = await ensureRebuildTopics(ctx, settings);
  ctx.log(
    `  rebuild set ${set.prefix}* ${set.reused ? 'reused' : `generated in ${(set.generateMs / 1000).toFixed(1)} s`} (${settings.rebuildEvents} events)`,
  );
  const seconds: number[] = [];
  const peaks: number[] = [];
  let lastSchema = '';
  const db = ctx.database(undefined, 2);
  for (let run = 1; run <= repeats; run++) {
    const live = `bench_${ctx.runId}_rebuilt${run}`;
    const report = await runRebuildCommand(ctx, run, {
      // The rebuild set's topics and groups are the bench's own: read as admin (see startProjector).
      ...ctx.kafkaEnv('admin'),
      PORT: '1',
      DATABASE_URL: ctx.benchDatabaseUrl,
      PASSERELLE_VIEW_SCHEMA: live,
      PASSERELLE_REGISTRY_URL: ctx.stack.registryUrl,
      PASSERELLE_RECORD_KEY_SECRET: RECORD_KEY_SECRET,
      PASSERELLE_KEY_ENCRYPTION_KEY: KEY_ENCRYPTION_KEY,
      PASSERELLE_CONSUMER_GROUP: `bench-${ctx.runId}-rebuild${run}`,
      PASSERELLE_TOPIC_PATTERN: topicPattern(set.prefix),
      PASSERELLE_DEAD_LETTER_TOPIC: `bench-${ctx.runId}.dead-letter.v1`,
      LOG_LEVEL: 'warn',
    });
    seconds.push(report.durationMs / 1000);
    peaks.push(report.peakRssBytes / 2 ** 20);
    ctx.log(
      `  rebuild run ${run}: ${report.events} events in ${(report.durationMs / 1000).toFixed(1)} s (${Math.round(rate(settings.rebuildEvents, report.durationMs))} ev/s)`,
    );
    if (report.bulk) {
      const { replayMs, load } = report.bulk;
      const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      ctx.log(
        `  rebuild run ${run}: in-memory replay ${s(replayMs)}, COPY of ${load.rows} rows ${s(load.copyMs)}, keys and indexes ${s(load.indexMs)}, ANALYZE ${s(load.analyzeMs)}; peak RSS ${Math.round(report.peakRssBytes / 2 ** 20)} MiB`,
      );
    }
    if (lastSchema) await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [lastSchema]);
    lastSchema = live;
  }
  const skipped = { rows: 0, outMs: 0, inMs: 0, tables: {}, error: 'not measured for this size' };
  const copy = await (withCopy ? copyBaseline(ctx, lastSchema) : Promise.resolve(skipped)).catch((error: unknown) => ({
    rows: 0,
    outMs: 0,
    inMs: 0,
    tables: {},
    error: (error as Error).message,
  }));
  await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [lastSchema]);
  const rebuildMedian = spread(seconds).median;
  return {
    events: settings.rebuildEvents,
    reusedTopics: set.reused,
    seconds: spread(seconds),
    eventsPerSecond: spread(seconds.map((s) => settings.rebuildEvents / s)),
    peakRssMiB: spread(peaks),
    rows: copy.rows,
    copyOutSeconds: copy.outMs / 1000,
    copyInSeconds: copy.inMs / 1000,
    ratioToCopyIn: copy.inMs > 0 ? rebuildMedian / (copy.inMs / 1000) : Number.NaN,
    tables: copy.tables,
    ...('error' in copy ? { copyError: copy.error } : {}),
  };
}

/**
 * The PostgreSQL baseline: COPY every table of the rebuilt view out to files (server side), then
 * into empty copies of the tables (same indexes and constraints), timed.
 */
async function copyBaseline(
  ctx: BenchContext,
  schema: string,
): Promise<{ rows: number; outMs: number; inMs: number; tables: Record<string, number> }> {
  const db = ctx.database(undefined, 1);
  const dir = `/tmp/passerelle-bench-copy-${ctx.runId}`;
  fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
  fs.chmodSync(dir, 0o777);
  const target = `${schema}_copy`;
  const tables = (
    (await db.raw(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE' AND table_name <> ? AND table_name NOT LIKE ?",
      [schema, MIGRATIONS_TABLE, `${MIGRATIONS_TABLE}%`],
    )) as { rows: { table_name: string }[] }
  ).rows.map((r) => r.table_name);
  const counts: Record<string, number> = {};
  let outMs = 0;
  let inMs = 0;
  try {
    await db.raw('CREATE SCHEMA ??', [target]);
    for (const table of tables) {
      const file = `${dir}/${table}.copy`;
      let began = now();
      const out = (await db.raw(`COPY ??.?? TO '${file}' (FORMAT binary)`, [schema, table])) as { rowCount: number };
      outMs += now() - began;
      counts[table] = out.rowCount;
      await db.raw('CREATE TABLE ??.?? (LIKE ??.?? INCLUDING ALL)', [target, table, schema, table]);
      began = now();
      await db.raw(`COPY ??.?? FROM '${file}' (FORMAT binary)`, [target, table]);
      inMs += now() - began;
    }
  } finally {
    await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [target]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { rows: Object.values(counts).reduce((a, b) => a + b, 0), outMs, inMs, tables: counts };
}
