import { Writable } from 'node:stream';
import { createDatabase, type Knex } from '@passerelle/db';
import { createLogger } from '@passerelle/logging';
import { prepareView } from '@passerelle/projector';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import {
  DEFAULT_AUDIENCE,
  DEFAULT_DISCLOSURE,
  DEFAULT_INITIATIVE_STALE_DAYS,
  DEFAULT_ISSUER,
  mintDevToken,
  start,
  type DisclosureSettings,
  type RunningViewApi,
} from '@passerelle/view-api';
import { ATTACKS, matches, repeatedAnswers, type Outcome } from './attacks.ts';
import { drawDataset, loadDataset, randomSource, REGIONS, type Referral } from './dataset.ts';
import { ApiResponder, BaselineResponder, queryString, type StatsQuery } from './responders.ts';
import { testKeyEncryptionKey } from '@passerelle/contracts/testing';

const VIEW = 'view';
const JWT_SECRET = 'attack-suite-jwt-secret-0123456789abcdef';
export const ATTACK_RECORD_KEY_SECRET = 'attack-suite-record-key-secret-0123456789';
const quiet = createLogger({ service: 'attack-suite', destination: new Writable({ write: (_c, _e, cb) => cb() }) as never });

async function withAdmin<T>(databaseUrl: string, work: (db: Knex) => Promise<T>): Promise<T> {
  const admin = createDatabase({ url: databaseUrl, poolMax: 1 });
  try {
    return await work(admin);
  } finally {
    await admin.destroy();
  }
}

export interface AttackStack {
  readonly db: Knex;
  readonly api: RunningViewApi;
  readonly token: string;
  readonly settings: DisclosureSettings;
  close(): Promise<void>;
}

/** A database of its own with the projector's view, and the real view API in-process (rate limit lifted: the attacker is patient). */
export async function startAttackStack(databaseUrl: string, settings: DisclosureSettings = DEFAULT_DISCLOSURE): Promise<AttackStack> {
  const database: TestDatabase = await createTestDatabase(databaseUrl, 'attacks');
  // A throw-away database: its audit rows need not wait for the disk (the API's code is unchanged).
  await withAdmin(database.url, (admin) => admin.raw(`ALTER DATABASE ${database.name} SET synchronous_commit = off`));
  const db = createDatabase({ url: database.url, schema: VIEW });
  await prepareView(db, VIEW, { recordKeySecret: ATTACK_RECORD_KEY_SECRET });
  const api = await start(
    {
      port: 0,
      host: '127.0.0.1',
      databaseUrl: database.url,
      viewSchema: VIEW,
      apiSchema: 'view_api',
      environment: 'development',
      jwt: { issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE, key: { kind: 'secret', secret: JWT_SECRET } },
      disclosure: settings,
      traceUiUrl: 'http://127.0.0.1:9411/zipkin/traces/',
      initiativeStaleDays: DEFAULT_INITIATIVE_STALE_DAYS,
      pipelineSources: [],
      audit: { hmacKey: 'attack-suite-audit-hmac-key-0123456789abcdef' },
      keyEncryptionKey: testKeyEncryptionKey(),
      logLevel: 'silent',
      http: { rateLimitPerMinute: 0, requestTimeoutMs: 30_000 },
    },
    { logger: quiet },
  );
  const token = await mintDevToken({
    secret: JWT_SECRET,
    issuer: DEFAULT_ISSUER,
    audience: DEFAULT_AUDIENCE,
    role: 'coordination-office',
    expiresIn: '12h',
  });
  return {
    db,
    api,
    token,
    settings,
    async close() {
      await api.stop();
      await db.destroy();
      await database.drop();
    },
  };
}

export interface AttackTally {
  readonly id: number;
  readonly name: string;
  targets: number;
  /** Exact recoveries by the baseline's attacker and by the cell-key attacker. */
  before: number;
  after: number;
  beforeGuessed: number;
  afterGuessed: number;
}

export interface SuiteReport {
  readonly datasets: number;
  readonly pairs: number;
  readonly seed: number;
  readonly tallies: AttackTally[];
  /** Distinct answers among 100 repetitions of one query, per dataset (1 everywhere: nothing to average). */
  readonly maxDistinctAnswers: number;
  /** Aggregate reads that touched a small slice, and how many left an audit row. */
  readonly smallSliceReads: number;
  readonly smallSliceAudited: number;
  readonly millis: number;
}

const exact = (outcomes: readonly Outcome[]) => outcomes.filter((o) => o.guess === o.truth).length;
const guessed = (outcomes: readonly Outcome[]) => outcomes.filter((o) => o.guess !== null).length;

/** True counts behind a stats query, by group and total: does it touch a small slice? */
function touchesSmallSlice(data: readonly Referral[], query: StatsQuery, auditBelow: number): boolean {
  const rows = data.filter(matches(query));
  const groups = new Map<string, number>();
  const field = { region: 'region', status: 'status', category: 'category' } as const;
  for (const r of rows) {
    const key = (query.groupBy ?? []).map((d) => r[field[d as keyof typeof field]]).join('|');
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return [rows.length, ...groups.values()].some((n) => n >= 1 && n <= auditBelow);
}

/** Sends every query the API responder sends through a recorder, so that audit rows can be reconciled. */
class RecordingApiResponder extends ApiResponder {
  readonly sent: StatsQuery[] = [];
  protected override fetchStats(query: StatsQuery) {
    this.sent.push(query);
    return super.fetchStats(query);
  }
}

/**
 * Runs every attack on `datasets` random datasets (seeded), against the baseline method and the
 * real API over the same database, and counts exact recoveries.
 */
export async function runAttackSuite(
  stack: AttackStack,
  options: { datasets: number; pairs: number; seed: number; progress?: (done: number) => void },
): Promise<SuiteReport> {
  const started = Date.now();
  const tallies: AttackTally[] = ATTACKS.map((a) => ({
    id: a.id,
    name: a.name,
    targets: 0,
    before: 0,
    after: 0,
    beforeGuessed: 0,
    afterGuessed: 0,
  }));
  let maxDistinctAnswers = 0;
  let smallSliceReads = 0;
  let smallSliceAudited = 0;
  const draw = randomSource(options.seed);
  for (let d = 0; d < options.datasets; d += 1) {
    const data = drawDataset(draw);
    await loadDataset(stack.db, VIEW, data, ATTACK_RECORD_KEY_SECRET);
    const baseline = new BaselineResponder(stack.db, VIEW, stack.api.url, stack.token, stack.settings.threshold);
    const api = new RecordingApiResponder(stack.api.url, stack.token);
    const auditBefore = await auditCount(stack.db);
    for (const [index, attack] of ATTACKS.entries()) {
      // Both attackers draw the same random choices: one seed per dataset and attack.
      const seed = Math.floor(draw() * 2 ** 31);
      const before = await attack.run({
        responder: baseline,
        data,
        threshold: stack.settings.threshold,
        random: randomSource(seed),
        pairs: options.pairs,
      });
      const after = await attack.run({
        responder: api,
        data,
        threshold: stack.settings.threshold,
        random: randomSource(seed),
        pairs: options.pairs,
      });
      const tally = tallies[index] as AttackTally;
      // Targets are the hidden figures of the truth; each side is scored on the ones it saw hidden.
      tally.targets += Math.max(before.length, after.length);
      tally.before += exact(before);
      tally.after += exact(after);
      tally.beforeGuessed += guessed(before);
      tally.afterGuessed += guessed(after);
    }
    const distinct = new Set(api.sent.map(queryString));
    smallSliceReads += [...distinct].filter((q) =>
      touchesSmallSlice(data, api.sent.find((s) => queryString(s) === q) as StatsQuery, stack.settings.auditBelow),
    ).length;
    smallSliceAudited += (await auditCount(stack.db)) - auditBefore;
    maxDistinctAnswers = Math.max(maxDistinctAnswers, await repeatedAnswers((q) => api.fresh(q), { groupBy: ['region'] }, 100));
    options.progress?.(d + 1);
  }
  return {
    datasets: options.datasets,
    pairs: options.pairs,
    seed: options.seed,
    tallies,
    maxDistinctAnswers,
    smallSliceReads,
    smallSliceAudited,
    millis: Date.now() - started,
  };
}

async function auditCount(db: Knex): Promise<number> {
  const row = (await db.withSchema('view_api').table('audit').where('kind', 'small-aggregate').count({ n: '*' }).first()) as {
    n: string | number;
  };
  return Number(row.n);
}

const percent = (part: number, whole: number) => (whole === 0 ? '—' : `${((100 * part) / whole).toFixed(1)} %`);

/** The table the README shows. */
export function formatReport(report: SuiteReport): string {
  const lines = [
    `Attack suite: ${report.datasets} datasets × ${report.pairs} pairs (seed ${report.seed}), ${(report.millis / 1000).toFixed(0)} s`,
    '',
    '| # | attack | hidden figures | exact recovery before (suppression only) | exact recovery after (cell key method) |',
    '|---|---|---|---|---|',
    ...report.tallies.map(
      (t) => `| ${t.id} | ${t.name} | ${t.targets} | ${percent(t.before, t.targets)} | ${percent(t.after, t.targets)} |`,
    ),
    `| 6 | small-slice aggregate reads audited | ${report.smallSliceReads} | 0 % (aggregates were never audited) | ${percent(report.smallSliceAudited, report.smallSliceReads)} |`,
    `| 7 | averaging: distinct answers to one query asked 100 times | — | 1 (exact counts) | ${report.maxDistinctAnswers} (gain 0 %) |`,
  ];
  return lines.join('\n');
}

export { REGIONS };
