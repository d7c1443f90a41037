import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CATEGORIES, MONTHS, REGIONS, between, drawDataset, drawLargeDataset, loadDataset, pick, randomSource } from './dataset.ts';
import { ApiResponder, type PublishedCell, type StatsBody, type StatsQuery } from './responders.ts';
import { ATTACK_RECORD_KEY_SECRET, startAttackStack, type AttackStack } from './suite.ts';
import { formatUtility, measureUtility } from './utility.ts';
import { expectedFigures, figuresOfBody, viewRows } from '../view-api/published-figures.ts';
import { seedView } from '../view-api/view-seed.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

const stack = inject('stack');
let attack: AttackStack;
let api: ApiResponder;

beforeAll(async () => {
  attack = await startAttackStack(stack.databaseUrl);
  api = new ApiResponder(attack.api.url, attack.token);
}, 120_000);
afterAll(async () => {
  await attack?.close();
});

/** A set of referrals described by filters: region, category, and a range of whole months. */
interface SetDescription {
  region?: string;
  category?: string;
  from?: string;
  to?: string;
}

type Read = { count: number | null; suppressed: boolean } | undefined;

function cellIn(body: StatsBody, key: Record<string, string>): Read {
  const cell: PublishedCell | undefined = body.cells.find((c) => Object.entries(key).every(([k, v]) => c.key[k] === v));
  // A cell left out is published as 0.
  return cell ? { count: cell.count, suppressed: cell.suppressed } : { count: 0, suppressed: false };
}

/** Every way the API offers to read the same set: as a total, and as a cell of 1, 2 or 3-way tables with the rest as filters. */
async function readingsOf(set: SetDescription): Promise<Array<{ how: string; read: Read }>> {
  const range = { ...(set.from ? { from: set.from } : {}), ...(set.to ? { to: set.to } : {}) };
  const readings: Array<{ how: string; read: Read }> = [];
  const total = await api.fresh({ ...set });
  readings.push({ how: 'total', read: { count: total.total, suppressed: total.totalSuppressed } });
  const dims = (['region', 'category'] as const).filter((d) => set[d] !== undefined);
  for (const grouped of dims) {
    const rest: StatsQuery = {
      ...range,
      ...(grouped === 'region' && set.category ? { category: set.category } : {}),
      ...(grouped === 'category' && set.region ? { region: set.region } : {}),
    };
    const body = await api.fresh({ ...rest, groupBy: [grouped] });
    readings.push({ how: `cell of groupBy=${grouped}`, read: cellIn(body, { [grouped]: set[grouped] as string }) });
  }
  if (dims.length === 2) {
    const body = await api.fresh({ ...range, groupBy: ['region', 'category'] });
    readings.push({
      how: 'cell of groupBy=region,category',
      read: cellIn(body, { region: set.region as string, category: set.category as string }),
    });
  }
  return readings;
}

describe('consistency of published figures (property test over random datasets)', () => {
  it('the same set of referrals gives the same figure through every filter and grouping, and the oracle’s', async () => {
    const random = randomSource(7_2026);
    let compared = 0;
    for (let d = 0; d < 6; d += 1) {
      await loadDataset(attack.db, 'view', drawDataset(random), ATTACK_RECORD_KEY_SECRET);
      const rows = await viewRows(attack.db, 'view');
      for (let i = 0; i < 25; i += 1) {
        const set: SetDescription = {};
        if (random() < 0.8) set.region = pick(random, REGIONS);
        if (random() < 0.6) set.category = pick(random, CATEGORIES);
        if (random() < 0.5) set.from = MONTHS[between(random, 0, 5)] as string;
        if (random() < 0.5) set.to = MONTHS[between(random, 6, 12)] as string;
        const readings = await readingsOf(set);
        const first = readings[0]?.read;
        for (const reading of readings) expect(reading.read, `${JSON.stringify(set)} read as ${reading.how}`).toEqual(first);
        expect(first?.count).toBe(expectedFigures(rows, set).total);
        compared += readings.length;
      }
      // Whole tables too, against the oracle computed from the rows.
      for (const query of [{ groupBy: ['region', 'status'] }, { groupBy: ['category'], from: MONTHS[3] as string }] as const) {
        expect(figuresOfBody((await api.fresh(query)) as never)).toEqual(expectedFigures(rows, query));
      }
    }
    expect(compared).toBeGreaterThan(300);
  });

  it('prints the utility of published figures on the dashboard’s demo seed, a small-cell dataset and 60,000 referrals', async () => {
    const random = randomSource(60_000);
    await attack.db.withSchema('view').table(VIEW_TABLE.referrals).delete();
    await seedView(attack.db, 'view');
    const demo = await measureUtility('the dashboard’s demo seed (tests/view-api/view-seed.ts)', attack.db, 'view', api);
    await loadDataset(attack.db, 'view', drawDataset(random), ATTACK_RECORD_KEY_SECRET);
    const small = await measureUtility('one small-cell dataset (about 120 referrals)', attack.db, 'view', api);
    await loadDataset(attack.db, 'view', drawLargeDataset(random, 60_000), ATTACK_RECORD_KEY_SECRET);
    const large = await measureUtility('60,000 referrals', attack.db, 'view', api);
    console.log(formatUtility([demo, small, large]));
    // Every shown figure is within the maximum perturbation; the error of a large table is about E|d| = 1.6.
    for (const u of [demo, small, large]) {
      expect(u.cellMae).toBeLessThanOrEqual(attack.settings.maxPerturbation);
      expect(u.totalMae).toBeLessThanOrEqual(attack.settings.maxPerturbation);
    }
    expect(large.cellMae).toBeGreaterThan(0.8);
    expect(large.cellMae).toBeLessThan(2.4);
  }, 180_000);
});
