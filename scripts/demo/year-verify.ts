/**
 * Reconciles a synthetic year with the coordination view: waits until the projector has applied
 * every event the adapters accepted, compares the view's true counts (SQL) with counts computed
 * from the generated records alone, and checks that the view API publishes each count within
 * its perturbation bound of the true one, or suppresses it when it is small.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from '@passerelle/db';
import { VIEW_TABLE } from '../../libs/coordination-view/src/tables.ts';
import { REGIONS, finalStatus, type Status, type SyntheticYear } from './synthetic-year.ts';
import type { YearSendReport } from './year-sender.ts';

const STATUSES: readonly Status[] = ['REQUESTED', 'RECEIVED', 'ACCEPTED', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED', 'DECLINED', 'WITHDRAWN'];

export interface ExpectedYear {
  /** Referrals by `REGION/STATUS`. */
  readonly referrals: ReadonlyMap<string, number>;
  /** Events each referral's row applies: its creation, its status changes, its consent withdrawal. */
  readonly referralEvents: number;
  /** Service gaps by `REGION/OPEN|RESOLVED`. */
  readonly gaps: ReadonlyMap<string, number>;
  /** Milestones by initiative, and the sum of their measures by unit (`PEOPLE_TRAINED`). */
  readonly milestones: ReadonlyMap<string, number>;
  readonly measures: ReadonlyMap<string, number>;
}

const bump = (map: Map<string, number>, key: string, by = 1): void => void map.set(key, (map.get(key) ?? 0) + by);

/** What the view must hold of `year`, from the generated records alone (no answer of any service). */
export function expectedOf(year: SyntheticYear): ExpectedYear {
  const referrals = new Map<string, number>();
  let referralEvents = 0;
  for (const r of year.referrals) {
    bump(referrals, `${r.region}/${finalStatus(r)}`);
    referralEvents += 1 + r.steps.length + (r.consentWithdrawnAt === null ? 0 : 1);
  }
  const gaps = new Map<string, number>();
  for (const g of year.gaps) bump(gaps, `${g.region}/${g.resolved ? 'RESOLVED' : 'OPEN'}`);
  const milestones = new Map<string, number>();
  const measures = new Map<string, number>();
  for (const m of year.milestones) {
    bump(milestones, m.initiativeId);
    if (m.measure) bump(measures, m.measure.unit.toUpperCase(), m.measure.quantity);
  }
  return { referrals, referralEvents, gaps, milestones, measures };
}

export interface ViewTarget {
  readonly db: Knex;
  /** The view's PostgreSQL schema (`view`). */
  readonly schema: string;
  /** The view API and a coordination-office token for its statistics. */
  readonly viewApiUrl: string;
  readonly token: string;
  /** How long to wait for the projector (default 5 minutes). */
  readonly timeoutMs?: number;
}

export interface Reconciliation {
  readonly eventsSent: number;
  readonly eventsApplied: number;
  /** Accepted events the view has not applied, and referrals accepted but absent from the view. */
  readonly lost: number;
  /** Events applied to a referral more often than it has events. */
  readonly duplicated: number;
  readonly illegalTransitions: number;
  readonly deadLetters: number;
  /** Cells whose true count differs from the generated one, or whose published figure is out of bounds. */
  readonly mismatches: readonly string[];
  readonly ok: boolean;
}

const CHUNK = 5_000;

/** Rows of `query(ids)` over every chunk of `ids` (a few thousand parameters per statement). */
async function inChunks<T>(ids: readonly string[], query: (chunk: readonly string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(...(await query(ids.slice(i, i + CHUNK))));
  return out;
}

async function waitApplied(target: ViewTarget, eventIds: readonly string[], log: (m: string) => void): Promise<number> {
  const deadline = Date.now() + (target.timeoutMs ?? 300_000);
  let lastLog = 0;
  for (;;) {
    const rows = await inChunks(eventIds, (chunk) =>
      target.db.withSchema(target.schema).table(VIEW_TABLE.processed_events).whereIn('event_id', chunk).count({ n: '*' }),
    );
    const applied = rows.reduce((sum, row) => sum + Number(row['n']), 0);
    if (applied >= eventIds.length || Date.now() > deadline) return applied;
    if (Date.now() - lastLog > 5_000) {
      log(`the view has applied ${applied}/${eventIds.length} events; waiting…`);
      lastLog = Date.now();
    }
    await sleep(1_000);
  }
}

interface Published {
  readonly threshold: number;
  readonly maxPerturbation: number;
  readonly total: number | null;
  readonly cells: ReadonlyMap<string, number | null>;
}

async function published(target: ViewTarget, from: number, to: number): Promise<Published> {
  const get = async (path: string) => {
    const response = await fetch(`${target.viewApiUrl}${path}`, { headers: { authorization: `Bearer ${target.token}` } });
    if (!response.ok) throw new Error(`view API: ${path} answered ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const control = await get('/v1/stats/disclosure-control');
  const window = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
  const stats = (await get(`/v1/stats/referrals?groupBy=region,status&${window}`)) as {
    total: number | null;
    cells: { key: Record<string, string>; count: number | null }[];
  };
  return {
    threshold: Number(control['threshold']),
    maxPerturbation: Number(control['maxPerturbation']),
    total: stats.total,
    cells: new Map(stats.cells.map((c) => [`${c.key['region']}/${c.key['status']}`, c.count])),
  };
}

/** Why a published figure is out of bounds for the true count, or undefined when it is within them. */
export function publishedProblem(trueCount: number, shown: number | null | undefined, p: Pick<Published, 'threshold' | 'maxPerturbation'>) {
  if (shown === undefined) return trueCount === 0 ? undefined : 'not published';
  // Suppressed: the true count is small, or its perturbed figure fell among the small ones.
  if (shown === null) return trueCount <= p.threshold + p.maxPerturbation ? undefined : 'suppressed though large';
  if (trueCount <= p.threshold) return 'a small count published';
  return Math.abs(shown - trueCount) <= p.maxPerturbation ? undefined : `more than ±${p.maxPerturbation} from the true count`;
}

type Counted = Record<string, unknown> & { n: number | string };

export async function verifyYear(
  year: SyntheticYear,
  sent: YearSendReport,
  target: ViewTarget,
  log: (message: string) => void,
): Promise<Reconciliation> {
  const expected = expectedOf(year);
  const view = () => target.db.withSchema(target.schema);
  const applied = await waitApplied(target, sent.eventIds, log);
  const referralIds = [...sent.referralIds.values()];

  const referralRows = (await inChunks(referralIds, (chunk) =>
    view()
      .table(VIEW_TABLE.referrals)
      .whereIn('referral_id', chunk)
      .select('region', 'status')
      .count({ n: '*' })
      .sum({ applied: 'applied_events' })
      .groupBy('region', 'status'),
  )) as (Counted & { applied: number | string })[];
  const trueOurs = new Map<string, number>();
  let appliedToReferrals = 0;
  for (const row of referralRows) {
    bump(trueOurs, `${String(row['region'])}/${String(row['status'])}`, Number(row.n));
    appliedToReferrals += Number(row.applied);
  }
  const found = [...trueOurs.values()].reduce((a, b) => a + b, 0);
  const illegal = await inChunks(referralIds, (chunk) =>
    view().table(VIEW_TABLE.illegal_transitions).whereIn('referral_id', chunk).count({ n: '*' }),
  );
  const dead = await inChunks(sent.eventIds, (chunk) => view().table(VIEW_TABLE.dead_letters).whereIn('event_id', chunk).count({ n: '*' }));
  // Every referral in the year's window, whoever sent it: what the published figures count.
  const windowRows = (await view()
    .table(VIEW_TABLE.referrals)
    .where('requested_at', '>=', new Date(year.from))
    .andWhere('requested_at', '<', new Date(year.to))
    .select('region', 'status')
    .count({ n: '*' })
    .groupBy('region', 'status')) as Counted[];
  const trueWindow = new Map(windowRows.map((row) => [`${String(row['region'])}/${String(row['status'])}`, Number(row.n)]));
  const gapRows = (await inChunks(sent.gapIds, (chunk) =>
    view().table(VIEW_TABLE.service_gaps).whereIn('gap_id', chunk).select('region', 'status').count({ n: '*' }).groupBy('region', 'status'),
  )) as Counted[];
  const trueGaps = new Map<string, number>();
  for (const row of gapRows) bump(trueGaps, `${String(row['region'])}/${String(row['status'])}`, Number(row.n));
  const milestoneRows = (await inChunks(sent.eventIds, (chunk) =>
    view().table(VIEW_TABLE.initiative_milestones).whereIn('event_id', chunk).select('initiative_id', 'measure_unit', 'measure_quantity'),
  )) as Record<string, unknown>[];
  const trueMilestones = new Map<string, number>();
  const trueMeasures = new Map<string, number>();
  for (const row of milestoneRows) {
    bump(trueMilestones, String(row['initiative_id']));
    if (row['measure_unit'] != null) bump(trueMeasures, String(row['measure_unit']), Number(row['measure_quantity']));
  }
  const shown = await published(target, year.from, year.to);

  const mismatches: string[] = [];
  const compare = (what: string, keys: Iterable<string>, want: ReadonlyMap<string, number>, have: ReadonlyMap<string, number>) => {
    for (const key of new Set([...keys, ...want.keys(), ...have.keys()])) {
      if ((want.get(key) ?? 0) !== (have.get(key) ?? 0))
        mismatches.push(`${what} ${key}: generated ${want.get(key) ?? 0}, in the view ${have.get(key) ?? 0}`);
    }
  };
  compare('referrals', [], expected.referrals, trueOurs);
  compare('service gaps', [], expected.gaps, trueGaps);
  compare('milestones of', [], expected.milestones, trueMilestones);
  compare('measure', [], expected.measures, trueMeasures);
  for (const key of new Set([...trueWindow.keys(), ...shown.cells.keys()])) {
    const problem = publishedProblem(trueWindow.get(key) ?? 0, shown.cells.get(key), shown);
    if (problem)
      mismatches.push(`published ${key}: true ${trueWindow.get(key) ?? 0}, published ${shown.cells.get(key) ?? 'x'}: ${problem}`);
  }
  const windowTotal = [...trueWindow.values()].reduce((a, b) => a + b, 0);
  const totalProblem = publishedProblem(windowTotal, shown.total, shown);
  if (totalProblem) mismatches.push(`published total: true ${windowTotal}, published ${shown.total ?? 'x'}: ${totalProblem}`);

  printTable(log, expected, trueOurs, trueWindow, shown);
  log(
    `service gaps: ${[...trueGaps.values()].reduce((a, b) => a + b, 0)} in the view of ${year.gaps.length} generated; ` +
      `milestones: ${milestoneRows.length} of ${year.milestones.length} on ${trueMilestones.size} initiatives`,
  );
  const lost = sent.eventIds.length - applied + (referralIds.length - found);
  const duplicated = Math.max(0, appliedToReferrals - expectedAppliedOf(year, sent));
  const illegalTransitions = illegal.reduce((a, r) => a + Number(r['n']), 0);
  const deadLetters = dead.reduce((a, r) => a + Number(r['n']), 0);
  const ok = lost === 0 && duplicated === 0 && illegalTransitions === 0 && deadLetters === 0 && mismatches.length === 0;
  log(
    `reconciliation: ${sent.eventIds.length} events accepted, ${applied} applied; lost ${lost}, duplicated ${duplicated}, ` +
      `illegal transitions ${illegalTransitions}, dead letters ${deadLetters}, mismatches ${mismatches.length}: ${ok ? 'OK' : 'FAILED'}`,
  );
  for (const m of mismatches) log(`  mismatch: ${m}`);
  return { eventsSent: sent.eventIds.length, eventsApplied: applied, lost, duplicated, illegalTransitions, deadLetters, mismatches, ok };
}

/** Events the view's referral rows must have applied: those of the referrals that were accepted. */
function expectedAppliedOf(year: SyntheticYear, sent: YearSendReport): number {
  return year.referrals
    .filter((r) => sent.referralIds.has(r.number))
    .reduce((n, r) => n + 1 + r.steps.length + (r.consentWithdrawnAt === null ? 0 : 1), 0);
}

/** Region by status: the true count (SQL), then `/published` where the window's count differs or is perturbed. */
function printTable(
  log: (m: string) => void,
  expected: ExpectedYear,
  trueOurs: ReadonlyMap<string, number>,
  trueWindow: ReadonlyMap<string, number>,
  shown: Published,
): void {
  const width = 16;
  log(`referrals by region and status: generated = true count in the view (SQL) → published (±${shown.maxPerturbation}, x: suppressed)`);
  log(`  ${'region'.padEnd(14)}${STATUSES.map((s) => s.padStart(width)).join('')}`);
  for (const region of REGIONS) {
    const cells = STATUSES.map((status) => {
      const key = `${region}/${status}`;
      const generated = expected.referrals.get(key) ?? 0;
      const ours = trueOurs.get(key) ?? 0;
      const figure = shown.cells.has(key) ? (shown.cells.get(key) ?? 'x') : '-';
      return `${generated === ours ? '' : `${generated}≠`}${trueWindow.get(key) ?? 0}→${figure}`.padStart(width);
    });
    log(`  ${region.padEnd(14)}${cells.join('')}`);
  }
  log(`  total: ${[...trueWindow.values()].reduce((a, b) => a + b, 0)} → published ${shown.total ?? 'x'}`);
}
