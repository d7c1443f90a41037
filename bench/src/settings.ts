import type { Settings } from './context.ts';

export const PARTS = ['limits', 'sustained', 'http', 'latency', 'rebuild', 'query', 'tracing', 'connect'] as const;
export type Part = (typeof PARTS)[number];

const FULL: Settings = {
  quick: false,
  only: PARTS,
  repeats: 3,
  kafkaEvents: 100_000,
  pgEvents: 50_000,
  e2eEvents: 50_000,
  httpSeconds: 15,
  httpConcurrency: 64,
  rebuildEvents: 1_000_000,
  rebuildMemoryEvents: 3_000_000,
  latencySeconds: 20,
  latencyRate: 200,
  apiRate: 50,
  apiSeconds: 20,
  partitions: 3,
  produceBatch: 1_000,
  relayBatch: 1_000, // the relay's default (DEFAULT_RELAY_BATCH)
  connectEvents: 50_000,
};

const QUICK: Settings = {
  ...FULL,
  quick: true,
  repeats: 1,
  kafkaEvents: 5_000,
  pgEvents: 5_000,
  e2eEvents: 3_000,
  httpSeconds: 5,
  rebuildEvents: 50_000,
  rebuildMemoryEvents: 150_000,
  latencySeconds: 5,
  latencyRate: 100,
  apiSeconds: 5,
  connectEvents: 3_000,
};

const NUMERIC: Record<string, keyof Settings> = {
  '--repeats': 'repeats',
  '--kafka-events': 'kafkaEvents',
  '--pg-events': 'pgEvents',
  '--e2e-events': 'e2eEvents',
  '--http-seconds': 'httpSeconds',
  '--http-concurrency': 'httpConcurrency',
  '--rebuild-events': 'rebuildEvents',
  '--rebuild-memory-events': 'rebuildMemoryEvents',
  '--latency-seconds': 'latencySeconds',
  '--latency-rate': 'latencyRate',
  '--api-rate': 'apiRate',
  '--api-seconds': 'apiSeconds',
  '--partitions': 'partitions',
  '--produce-batch': 'produceBatch',
  '--relay-batch': 'relayBatch',
  '--connect-events': 'connectEvents',
};

export const USAGE = `usage: npm run bench -- [--quick] [--only ${PARTS.join(',')}] [${Object.keys(NUMERIC)
  .map((f) => `${f} <n>`)
  .join('] [')}]
  --quick   smoke sizes, every part once (14 minutes on a loaded 2-core machine); default: full sizes, 3 runs of each measurement`;

/** Command-line flags into settings; throws naming the flag on a bad value. */
export function parseArgs(argv: readonly string[]): Settings {
  const quick = argv.includes('--quick');
  const settings: { -readonly [K in keyof Settings]: Settings[K] } = { ...(quick ? QUICK : FULL) };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (flag === '--quick') continue;
    const value = argv[i + 1];
    if (flag === '--only') {
      const parts = (value ?? '').split(',').filter(Boolean);
      const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
      if (parts.length === 0 || unknown.length) throw new Error(`--only: expected some of ${PARTS.join(', ')}, got "${value ?? ''}"`);
      settings.only = parts;
      i++;
      continue;
    }
    const key = NUMERIC[flag];
    if (!key) throw new Error(`unknown option ${flag}\n${USAGE}`);
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected a positive number, got "${value ?? ''}"`);
    (settings as Record<string, unknown>)[key] = n;
    i++;
  }
  return settings;
}
