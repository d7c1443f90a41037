import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { TEST_KEY_ENCRYPTION_KEY_HEX } from '@passerelle/contracts/testing';
import { freePort } from '@passerelle/testing';
import { FatalError, waitFor, type BenchContext } from './context.ts';

/**
 * Off: the SDK is not started. On: spans go to the stack's Zipkin, and `ratio` of the traces are
 * sampled: 1 keeps every one; 0.1 is the production default (parentbased_traceidratio), where a
 * request's sampling decision travels with its events.
 */
export type Tracing = { readonly on: false } | { readonly on: true; readonly ratio: number };

export const PRODUCTION_SAMPLING_RATIO = 0.1;

export function tracingEnv(ctx: BenchContext, tracing: Tracing): Record<string, string> {
  if (!tracing.on) return { OTEL_SDK_DISABLED: 'true' };
  const sampler: Record<string, string> =
    tracing.ratio >= 1
      ? { OTEL_TRACES_SAMPLER: 'always_on' }
      : { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(tracing.ratio) };
  return { OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${ctx.stack.zipkinUrl}/api/v2/spans`, ...sampler };
}

export function describeTracing(tracing: Tracing): string {
  if (!tracing.on) return 'off';
  return tracing.ratio >= 1 ? 'on, every trace sampled' : `on, ${Math.round(tracing.ratio * 100)} % of traces sampled`;
}

/**
 * The traceparent an accepted request leaves in the outbox under `tracing`: the generated events
 * all carry a sampled one; with a ratio, only that share keeps the sampled flag (decided by the
 * trace id, as the ratio sampler of the adapter that accepted the request would), the rest are
 * recorded unsampled, and parent-based samplers downstream follow the decision.
 */
export function traceparentUnder(tracing: Tracing, traceparent: string | null): string | null {
  if (!traceparent || !tracing.on || tracing.ratio >= 1) return traceparent;
  const [version, traceId = '', spanId] = traceparent.split('-');
  const sampled = parseInt(traceId.slice(0, 8), 16) / 2 ** 32 < tracing.ratio;
  return `${version}-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** Keeps the last lines a child wrote, to explain a failure without flooding the bench's output. */
export function tail(child: ChildProcess, lines = 30): () => string {
  const kept: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      kept.push(line);
      if (kept.length > lines) kept.shift();
    });
  }
  return () => kept.join('\n');
}

export interface RunningChild {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

async function ready(ctx: BenchContext, what: string, child: ChildProcess, url: string, output: () => string): Promise<RunningChild> {
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  await waitFor(
    `${what} at ${url}/readyz`,
    async () => {
      if (exited) throw new FatalError(`${what} exited:\n${output()}`);
      const response = await fetch(`${url}/readyz`).catch(() => undefined);
      return response?.ok ?? false;
    },
    120_000,
    200,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${output()}`);
  });
  return { child, url, output };
}

export interface ProjectorChild {
  readonly viewSchema: string;
  readonly groupId: string;
  readonly pattern: string;
  readonly tracing: Tracing;
  readonly cpuProfileDir?: string;
}

/** The projector's record-key secret in every bench run (a bench-only value). */
export const RECORD_KEY_SECRET = 'bench-only-record-key-secret-0123456789abcdef';

/** The key-encryption key of the referrals' data keys for every service the bench starts: the tests' one, never a real secret. */
export const KEY_ENCRYPTION_KEY = TEST_KEY_ENCRYPTION_KEY_HEX;

/** The projector's tuning variables, when the bench runs with them set (they are reported with the settings). */
export function projectorTuningEnv(): Record<string, string> {
  const names = ['PASSERELLE_PROJECTOR_CHUNK_SIZE', 'PASSERELLE_PROJECTOR_CONCURRENCY'];
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])));
}

/** The projector's own entry file (services/projector/src/main.ts) as a child process. */
export async function startProjector(ctx: BenchContext, options: ProjectorChild): Promise<RunningChild> {
  const port = await freePort();
  const child = ctx.spawnTs(
    'services/projector/src/main.ts',
    {
      // The declared ACLs grant the projector principal the real ministry prefixes only; the bench's
      // own topics and groups (bench-<run>-…) are read as admin, still over SASL/SCRAM.
      ...ctx.kafkaEnv('admin'),
      ...tracingEnv(ctx, options.tracing),
      PORT: String(port),
      DATABASE_URL: ctx.benchDatabaseUrl,
      PASSERELLE_VIEW_SCHEMA: options.viewSchema,
      PASSERELLE_REGISTRY_URL: ctx.stack.registryUrl,
      PASSERELLE_RECORD_KEY_SECRET: RECORD_KEY_SECRET,
      PASSERELLE_KEY_ENCRYPTION_KEY: KEY_ENCRYPTION_KEY,
      PASSERELLE_CONSUMER_GROUP: options.groupId,
      PASSERELLE_TOPIC_PATTERN: options.pattern,
      PASSERELLE_DEAD_LETTER_TOPIC: `bench-${ctx.runId}.dead-letter.v1`,
      LOG_LEVEL: 'warn',
      ...projectorTuningEnv(),
    },
    [],
    options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [],
  );
  return ready(ctx, 'projector', child, `http://127.0.0.1:${port}`, tail(child));
}

/** bench/src/relay-process.ts: an OutboxRelay on one bench schema; resolves once it prints that it runs. */
export async function startRelay(
  ctx: BenchContext,
  schema: string,
  batch: number,
  tracing: Tracing,
  cpuProfileDir?: string,
): Promise<RunningChild> {
  const child = ctx.spawnTs(
    'bench/src/relay-process.ts',
    {
      ...ctx.kafkaEnv('admin'),
      ...tracingEnv(ctx, tracing),
      DATABASE_URL: ctx.benchDatabaseUrl,
      PASSERELLE_REGISTRY_URL: ctx.stack.registryUrl,
      BENCH_OUTBOX_SCHEMA: schema,
      BENCH_RELAY_BATCH: String(batch),
    },
    [],
    cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [],
  );
  const output = tail(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('relay started')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the relay exited (${code}):\n${output()}`)));
  });
  return { child, url: '', output };
}

export const JWT_SECRET = 'bench-only-secret-0123456789abcdef0123456789';
const AUDIT_HMAC_KEY = 'bench-only-audit-hmac-key-0123456789abcdef';

/** services/view-api/src/main.ts as a child process, serving one view schema of the bench database. */
export async function startViewApi(ctx: BenchContext, viewSchema: string): Promise<RunningChild> {
  const port = await freePort();
  const child = ctx.spawnTs('services/view-api/src/main.ts', {
    OTEL_SDK_DISABLED: 'true',
    PORT: String(port),
    DATABASE_URL: ctx.benchDatabaseUrl,
    PASSERELLE_VIEW_SCHEMA: viewSchema,
    PASSERELLE_VIEW_API_SCHEMA: `${viewSchema}_api`,
    PASSERELLE_JWT_SECRET: JWT_SECRET,
    PASSERELLE_AUDIT_HMAC_KEY: AUDIT_HMAC_KEY,
    PASSERELLE_KEY_ENCRYPTION_KEY: KEY_ENCRYPTION_KEY,
    // The bench is one credential sending far above the per-credential limit on purpose.
    PASSERELLE_RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'warn',
  });
  return ready(ctx, 'view-api', child, `http://127.0.0.1:${port}`, tail(child));
}

export const ADAPTER_TOKEN = 'bench-ministry-token-0123456789abcdef0123';

/** services/adapter-education/src/main.ts as a child process (its relay publishes to education.referrals.v1). */
export async function startEducationAdapter(ctx: BenchContext, schema: string, tracing: Tracing): Promise<RunningChild> {
  const port = await freePort();
  const child = ctx.spawnTs('services/adapter-education/src/main.ts', {
    ...ctx.kafkaEnv('education'),
    ...tracingEnv(ctx, tracing),
    PORT: String(port),
    DATABASE_URL: ctx.benchDatabaseUrl,
    PASSERELLE_DB_SCHEMA: schema,
    PASSERELLE_REGISTRY_URL: ctx.stack.registryUrl,
    PASSERELLE_MINISTRY_TOKEN: ADAPTER_TOKEN,
    PASSERELLE_PSEUDONYM_KEY: 'bench-pseudonym-key-0123456789abcdef012345',
    PASSERELLE_KEY_ENCRYPTION_KEY: KEY_ENCRYPTION_KEY,
    PASSERELLE_RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'warn',
  });
  return ready(ctx, 'adapter-education', child, `http://127.0.0.1:${port}`, tail(child));
}
