import { perturbationTable } from '@passerelle/view-api';
import { CATEGORIES, MONTHS, REGIONS, between, pick, type Referral } from './dataset.ts';
import type { PublishedCell, Responder, StatsBody, StatsQuery } from './responders.ts';

/**
 * The attacks of the disclosure-control issue, each written as a careful reader with a valid
 * coordination-office token would run them, knowing the published perturbation table. Each
 * returns, per hidden figure it went after, the true value and its guess (null: no guess).
 * "Recovered" means the guess equals the truth exactly.
 */
export interface Outcome {
  readonly truth: number;
  readonly guess: number | null;
}

export interface AttackContext {
  readonly responder: Responder;
  readonly data: readonly Referral[];
  readonly threshold: number;
  readonly random: () => number;
  /** Pairs the random search tries. */
  readonly pairs: number;
}

// ---------------------------------------------------------------------------------------------
// What the attacker knows: the published table, and Bayes.

const noiseCache = new Map<string, Map<number, number>>();

/** The distribution of a sum of `terms` independent perturbations of large counts. */
function noiseOf(terms: number, maxPerturbation: number): Map<number, number> {
  const cacheKey = `${terms}/${maxPerturbation}`;
  const cached = noiseCache.get(cacheKey);
  if (cached) return cached;
  let sum = new Map<number, number>([[0, 1]]);
  if (maxPerturbation > 0) {
    const row = perturbationTable(maxPerturbation).rows.at(-1)?.perturbations ?? [];
    for (let t = 0; t < terms; t += 1) {
      const next = new Map<number, number>();
      for (const [value, p] of sum) for (const d of row) next.set(value + d.value, (next.get(value + d.value) ?? 0) + p * d.probability);
      sum = next;
    }
  }
  noiseCache.set(cacheKey, sum);
  return sum;
}

/** P(a count n is published as suppressed): what "x" tells the attacker about n. */
function suppressedLikelihood(n: number, threshold: number, maxPerturbation: number): number {
  // The baseline, and the API for every small true count: always suppressed.
  if (maxPerturbation === 0 || (n >= 1 && n <= threshold)) return n >= 1 && n <= threshold ? 1 : 0;
  const row = perturbationTable(maxPerturbation).rows[Math.min(n, maxPerturbation) - 1];
  if (!row || n < 1) return 0;
  return row.perturbations.filter((d) => n + d.value >= 1 && n + d.value <= threshold).reduce((sum, d) => sum + d.probability, 0);
}

interface Observation {
  /** An estimate of the hidden value: the hidden value plus a sum of `terms` perturbations. */
  readonly value: number;
  readonly terms: number;
}

/**
 * The most probable hidden value given the observations (treated as independent), a flat prior
 * over `candidates`, and optionally that the value was published as suppressed.
 */
export function bayesGuess(
  observations: readonly Observation[],
  candidates: readonly number[],
  maxPerturbation: number,
  suppressedAt?: number,
): number | null {
  if (observations.length === 0) return null;
  let best: number | null = null;
  let bestScore = 0;
  for (const n of candidates) {
    let score = suppressedAt === undefined ? 1 : suppressedLikelihood(n, suppressedAt, maxPerturbation);
    for (const o of observations) score *= noiseOf(o.terms, maxPerturbation).get(o.value - n) ?? 0;
    if (score > bestScore) {
      bestScore = score;
      best = n;
    }
  }
  return best;
}

const range = (low: number, high: number) => Array.from({ length: Math.max(0, high - low + 1) }, (_, i) => low + i);

// ---------------------------------------------------------------------------------------------
// Reading tables and counting the truth.

type Filter = (r: Referral) => boolean;
const inRegion =
  (region: string): Filter =>
  (r) =>
    r.region === region;
/** Whether a referral is counted by a stats query's filters (the truth the attacks are scored on). */
export const matches =
  (q: StatsQuery) =>
  (r: Pick<Referral, 'region' | 'category' | 'requestedAt'>): boolean =>
    (q.region === undefined || r.region === q.region) &&
    (q.category === undefined || r.category === q.category) &&
    (q.from === undefined || r.requestedAt >= Date.parse(q.from)) &&
    (q.to === undefined || r.requestedAt < Date.parse(q.to));
const countOf = (data: readonly Referral[], filter: Filter) => data.filter(filter).length;

/** A table's cell: absent means no referral, published as 0. */
function cellOf(body: StatsBody, key: Record<string, string>): PublishedCell {
  const found = body.cells.find((cell) => Object.entries(key).every(([k, v]) => cell.key[k] === v));
  return found ?? { key, count: 0, suppressed: false, medianDaysToAcceptance: null };
}

const perturbationOf = (body: StatsBody) => body.disclosureControl?.maxPerturbation ?? 0;

/** What the hidden cell itself says: its (perturbed) value when shown, or that it was suppressed. */
function ownEvidence(cell: PublishedCell, threshold: number): { observations: Observation[]; suppressedAt?: number } {
  return cell.count === null ? { observations: [], suppressedAt: threshold } : { observations: [{ value: cell.count, terms: 1 }] };
}

/** Guess a small hidden count from differencing estimates and the cell's own evidence. */
function guessSmall(cell: PublishedCell, estimates: readonly Observation[], threshold: number, D: number): number | null {
  const own = ownEvidence(cell, threshold);
  const observations = [...estimates, ...own.observations];
  // Without any differencing estimate, the cell alone is what every reader sees: no attack made.
  if (estimates.length === 0) return null;
  // The attacker knows the targets are small counts (the data's documented distribution): 1 to the threshold.
  return bayesGuess(observations, range(1, threshold), D, own.suppressedAt);
}

// ---------------------------------------------------------------------------------------------
// 1. A hidden region from the total, the visible regions and one-region queries.

export async function hiddenRegionByFilter(ctx: AttackContext): Promise<Outcome[]> {
  const table = await ctx.responder.stats({ groupBy: ['region'] });
  const D = perturbationOf(table);
  const outcomes: Outcome[] = [];
  for (const region of REGIONS) {
    const truth = countOf(ctx.data, inRegion(region));
    if (truth < 1 || truth > ctx.threshold) continue;
    const target = cellOf(table, { region });
    let estimate = table.total;
    let terms = 1;
    for (const other of REGIONS.filter((r) => r !== region)) {
      if (estimate === null) break;
      const cell = cellOf(table, { region: other });
      // The one-region query: a table of one cell, shown in full by the baseline.
      const value = cell.suppressed ? (await ctx.responder.stats({ region: other })).total : cell.count;
      estimate = value === null ? null : estimate - value;
      if (value !== 0 || cell.suppressed) terms += 1;
    }
    outcomes.push({ truth, guess: guessSmall(target, estimate === null ? [] : [{ value: estimate, terms }], ctx.threshold, D) });
  }
  return outcomes;
}

// ---------------------------------------------------------------------------------------------
// 2. Time ranges: "to", "from", both, and all time differenced against each other.

export async function timeRanges(ctx: AttackContext): Promise<Outcome[]> {
  const allTime = await ctx.responder.stats({ groupBy: ['region'] });
  const D = perturbationOf(allTime);
  const outcomes: Outcome[] = [];
  for (let trial = 0; trial < 4; trial += 1) {
    const m1 = between(ctx.random, 1, 10);
    const m2 = between(ctx.random, m1 + 1, 11);
    const [from1, from2] = [MONTHS[m1] as string, MONTHS[m2] as string];
    const tables = {
      to1: await ctx.responder.stats({ groupBy: ['region'], to: from1 }),
      from1: await ctx.responder.stats({ groupBy: ['region'], from: from1 }),
      from2: await ctx.responder.stats({ groupBy: ['region'], from: from2 }),
      between: await ctx.responder.stats({ groupBy: ['region'], from: from1, to: from2 }),
    };
    // Outside a range: all time minus the range's cells, a small count the range table never shows.
    for (const [name, query] of [
      ['to1', { to: from1 }],
      ['from1', { from: from1 }],
      ['between', { from: from1, to: from2 }],
    ] as const) {
      const ranged = tables[name];
      const truth = ctx.data.length - countOf(ctx.data, matches(query));
      if (truth < 1 || truth > ctx.threshold) continue;
      const blocked = allTime.total === null || ranged.cells.some((cell) => cell.count === null);
      const estimate = (allTime.total ?? 0) - ranged.cells.reduce((sum, cell) => sum + (cell.count ?? 0), 0);
      outcomes.push({
        truth,
        guess: blocked ? null : bayesGuess([{ value: estimate, terms: 1 + ranged.cells.length }], range(1, ctx.threshold), D),
      });
    }
    for (const region of REGIONS) {
      const value = (body: StatsBody) => cellOf(body, { region });
      const all = value(allTime);
      const relations: Array<{ hidden: PublishedCell; truth: number; parts: Array<{ cell: PublishedCell; sign: 1 | -1 }> }> = [
        {
          hidden: value(tables.to1),
          truth: countOf(ctx.data, matches({ region, to: from1 })),
          parts: [
            { cell: all, sign: 1 },
            { cell: value(tables.from1), sign: -1 },
          ],
        },
        {
          hidden: value(tables.from1),
          truth: countOf(ctx.data, matches({ region, from: from1 })),
          parts: [
            { cell: all, sign: 1 },
            { cell: value(tables.to1), sign: -1 },
          ],
        },
        {
          hidden: value(tables.between),
          truth: countOf(ctx.data, matches({ region, from: from1, to: from2 })),
          parts: [
            { cell: value(tables.from1), sign: 1 },
            { cell: value(tables.from2), sign: -1 },
          ],
        },
      ];
      for (const relation of relations) {
        if (relation.truth < 1 || relation.truth > ctx.threshold) continue;
        const blocked = relation.parts.some((p) => p.cell.count === null);
        const estimate = relation.parts.reduce((sum, p) => sum + p.sign * (p.cell.count ?? 0), 0);
        outcomes.push({
          truth: relation.truth,
          guess: guessSmall(relation.hidden, blocked ? [] : [{ value: estimate, terms: relation.parts.length }], ctx.threshold, D),
        });
      }
    }
  }
  return outcomes;
}

// ---------------------------------------------------------------------------------------------
// 3. The person-level list of a region against its count: referrals the caller may not list.

export async function listAgainstStats(ctx: AttackContext): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const region of REGIONS) {
    const truth = countOf(ctx.data, (r) => r.region === region && r.consentScope !== 'STANDARD');
    if (truth === 0) continue;
    const stats = await ctx.responder.stats({ region });
    const listed = await ctx.responder.listCount(region);
    const D = perturbationOf(stats);
    const guess = stats.total === null ? null : bayesGuess([{ value: stats.total - listed, terms: 1 }], range(0, 60), D);
    outcomes.push({ truth, guess });
  }
  return outcomes;
}

// ---------------------------------------------------------------------------------------------
// 4. A hidden cell from its line's total in the table grouped by one dimension less.

export async function lineTotals(ctx: AttackContext): Promise<Outcome[]> {
  const dimension = pick(ctx.random, ['status', 'category'] as const);
  const values: readonly string[] = dimension === 'status' ? ['REQUESTED', 'ACCEPTED'] : CATEGORIES;
  const field = dimension === 'status' ? 'status' : 'category';
  const grid = await ctx.responder.stats({ groupBy: ['region', dimension] });
  const rows = await ctx.responder.stats({ groupBy: ['region'] });
  const columns = await ctx.responder.stats({ groupBy: [dimension] });
  const D = perturbationOf(grid);
  const outcomes: Outcome[] = [];
  for (const region of REGIONS) {
    for (const value of values) {
      const hidden = cellOf(grid, { region, [dimension]: value });
      const truth = countOf(ctx.data, (r) => r.region === region && r[field] === value);
      if (truth < 1 || truth > ctx.threshold) continue;
      const observations: Observation[] = [];
      // Along the row: the region's total minus the row's other cells, and along the column.
      const lines = [
        { total: cellOf(rows, { region }), others: values.filter((v) => v !== value).map((v) => cellOf(grid, { region, [dimension]: v })) },
        {
          total: cellOf(columns, { [dimension]: value }),
          others: REGIONS.filter((r) => r !== region).map((r) => cellOf(grid, { region: r, [dimension]: value })),
        },
      ];
      for (const line of lines) {
        if (line.total.count === null || line.others.some((cell) => cell.count === null)) continue;
        const terms = 1 + line.others.filter((cell) => (cell.count ?? 0) !== 0).length;
        observations.push({ value: line.total.count - line.others.reduce((sum, cell) => sum + (cell.count ?? 0), 0), terms });
      }
      outcomes.push({ truth, guess: guessSmall(hidden, observations, ctx.threshold, D) });
    }
  }
  return outcomes;
}

// ---------------------------------------------------------------------------------------------
// 5. One referral's days to acceptance from two medians whose sets differ by that referral alone.

export async function medianDifferencing(ctx: AttackContext): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const DAY = 86_400_000;
  for (const region of REGIONS) {
    for (let m = 1; m <= 11; m += 1) {
      const month = (r: Referral) =>
        r.region === region &&
        r.acceptedAt !== null &&
        r.requestedAt >= Date.parse(MONTHS[m - 1] as string) &&
        r.requestedAt < Date.parse(MONTHS[m] as string);
      const added = ctx.data.filter(month);
      if (added.length !== 1) continue;
      const x = added[0] as Referral;
      const days = ((x.acceptedAt as number) - x.requestedAt) / DAY;
      // The attacker is granted the size of the smaller set exactly (the baseline publishes it; it only helps).
      const rest = countOf(
        ctx.data,
        (r) => r.region === region && r.acceptedAt !== null && r.requestedAt >= Date.parse(MONTHS[m] as string),
      );
      const withX = (await ctx.responder.stats({ region, from: MONTHS[m - 1] as string })).medianDaysToAcceptance;
      const without = (await ctx.responder.stats({ region, from: MONTHS[m] as string })).medianDaysToAcceptance;
      let guess: number | null = null;
      if (withX !== null && without !== null) guess = rest % 2 === 0 ? withX : 2 * withX - without;
      // Recovered: the guess is the referral's duration to the day (the baseline published tenths, the API whole weeks).
      outcomes.push({ truth: Math.round(days), guess: guess === null ? null : Math.round(guess) });
    }
  }
  return outcomes;
}

// ---------------------------------------------------------------------------------------------
// 7. Averaging: the same query a hundred times.

/** How many different answers 100 repetitions of one query gave (1: nothing to average). */
export async function repeatedAnswers(
  fresh: (query: StatsQuery) => Promise<StatsBody>,
  query: StatsQuery,
  repetitions = 100,
): Promise<number> {
  const seen = new Set<string>();
  for (let i = 0; i < repetitions; i += 1) seen.add(JSON.stringify(await fresh(query)));
  return seen.size;
}

// ---------------------------------------------------------------------------------------------
// 8. A random search of pairs of filtered queries, one inside the other, differenced.

function randomQuery(random: () => number): StatsQuery {
  const query: { region?: string; category?: string; from?: string; to?: string } = {};
  if (random() < 0.5) query.region = pick(random, REGIONS);
  if (random() < 0.5) query.category = pick(random, CATEGORIES);
  if (random() < 0.5) query.from = MONTHS[between(random, 1, 6)] as string;
  if (random() < 0.5) query.to = MONTHS[between(random, 7, 11)] as string;
  return query;
}

/** The same query with one restriction more: a filter added, or the range narrowed. */
function narrowed(random: () => number, query: StatsQuery): StatsQuery | undefined {
  const options: StatsQuery[] = [];
  if (query.region === undefined) options.push({ ...query, region: pick(random, REGIONS) });
  if (query.category === undefined) options.push({ ...query, category: pick(random, CATEGORIES) });
  const from = query.from === undefined ? 0 : MONTHS.indexOf(query.from);
  const to = query.to === undefined ? 12 : MONTHS.indexOf(query.to);
  if (to - from > 1) {
    options.push({ ...query, from: MONTHS[from + 1] as string });
    options.push({ ...query, to: MONTHS[to - 1] as string });
  }
  return options.length === 0 ? undefined : pick(random, options);
}

export async function randomPairs(ctx: AttackContext): Promise<Outcome[]> {
  const pairs: Array<{ wide: StatsQuery; narrow: StatsQuery; truth: number }> = [];
  for (let i = 0; i < ctx.pairs; i += 1) {
    const wide = randomQuery(ctx.random);
    const narrow = narrowed(ctx.random, wide);
    if (!narrow) continue;
    const truth = countOf(ctx.data, matches(wide)) - countOf(ctx.data, matches(narrow));
    // Only differences that are small count as hidden figures; the attacker does not know which those are.
    if (truth >= 1 && truth <= ctx.threshold) pairs.push({ wide, narrow, truth });
  }
  const outcomes: Outcome[] = [];
  // Eight requests in flight: the attacker is patient, not slow.
  for (let i = 0; i < pairs.length; i += 8) {
    const chunk = pairs.slice(i, i + 8);
    const answers = await Promise.all(
      chunk.map(async (p) => [await ctx.responder.stats(p.wide), await ctx.responder.stats(p.narrow)] as const),
    );
    chunk.forEach((pair, j) => {
      const [a, b] = answers[j] as readonly [StatsBody, StatsBody];
      const D = perturbationOf(a);
      const guess = a.total === null || b.total === null ? null : bayesGuess([{ value: a.total - b.total, terms: 2 }], range(0, 200), D);
      outcomes.push({ truth: pair.truth, guess });
    });
  }
  return outcomes;
}

// ---------------------------------------------------------------------------------------------
// 9. Many decompositions: the small region as "total minus the other regions" over every
// partition of the referrals the filters allow (month splits, categories, both), combined.
// Each partition's tables are other sets, so their noises are independent and average out.

export async function manyDecompositions(ctx: AttackContext): Promise<Outcome[]> {
  const partitions: StatsQuery[][] = [[{}], CATEGORIES.map((category) => ({ category }))];
  for (let m = 1; m <= 11; m += 1) {
    const split = MONTHS[m] as string;
    partitions.push([{ to: split }, { from: split }]);
    partitions.push(
      CATEGORIES.flatMap((category) => [
        { category, to: split },
        { category, from: split },
      ]),
    );
  }
  const outcomes: Outcome[] = [];
  const byRegion = await ctx.responder.stats({ groupBy: ['region'] });
  const D = perturbationOf(byRegion);
  for (const region of REGIONS) {
    const truth = countOf(ctx.data, inRegion(region));
    if (truth < 1 || truth > ctx.threshold) continue;
    const observations: Observation[] = [];
    for (const partition of partitions) {
      let estimate = 0;
      let terms = 0;
      let blocked = false;
      for (const slice of partition) {
        const table = await ctx.responder.stats({ ...slice, groupBy: ['region'] });
        const others = REGIONS.filter((r) => r !== region).map((r) => cellOf(table, { region: r }));
        if (table.total === null || others.some((cell) => cell.count === null)) {
          blocked = true;
          break;
        }
        estimate += table.total - others.reduce((sum, cell) => sum + (cell.count ?? 0), 0);
        terms += 1 + others.filter((cell) => cell.count !== 0).length;
      }
      if (!blocked) observations.push({ value: estimate, terms });
    }
    outcomes.push({ truth, guess: guessSmall(cellOf(byRegion, { region }), observations, ctx.threshold, D) });
  }
  return outcomes;
}

export const ATTACKS = [
  { id: 1, name: 'hidden region = total − visible regions − one-region queries', run: hiddenRegionByFilter },
  { id: 2, name: 'time ranges: all time, from, to and both differenced', run: timeRanges },
  { id: 3, name: 'person-level list of a region against its count', run: listAgainstStats },
  { id: 4, name: 'hidden cell from its line total (the dropped line)', run: lineTotals },
  { id: 5, name: 'one referral’s days to acceptance from two medians', run: medianDifferencing },
  { id: 8, name: 'random search of pairs of filtered queries', run: randomPairs },
  { id: 9, name: 'many decompositions: total − other regions over every month split and category, combined', run: manyDecompositions },
] as const;
