import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testKeyEncryptionKey } from '@passerelle/contracts/testing';
import { createDatabase, type Knex } from '@passerelle/db';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { VIEW_TABLE, acceptanceWeekOf } from '@passerelle/coordination-view';
import { prepareView } from '../projector.ts';
import { applyEvents } from '../domain/apply-events.ts';
import type { AcceptedEvent } from '../domain/view-model.ts';
import { TEST_RECORD_KEY_SECRET } from '../testing/record-keys.ts';
import { createRng, generateScenario, randomBatches, shuffle, withDuplicates } from '../testing/scenario-generator.ts';
import { minute, referral } from '../testing/event-builders.ts';
import { countAggregates, readReferralAggregates, recountAggregates } from './referral-aggregates.repository.ts';
import { compareViewSchemas } from './view-snapshot.repository.ts';
import type { ViewRepository } from './view.repository.ts';

const stack = inject('stack');
const catalogue = loadCatalogue();
const DAY = 86_400_000;
let database: TestDatabase;
let pools: Knex[] = [];

async function freshView(schema: string, members: number): Promise<{ db: Knex; repositories: ViewRepository[] }> {
  const repositories: ViewRepository[] = [];
  for (let i = 0; i < members; i++) {
    const db = createDatabase({ url: database.url, schema, poolMax: 4 });
    pools.push(db);
    repositories.push(
      await prepareView(db, schema, { recordKeySecret: TEST_RECORD_KEY_SECRET, keyEncryptionKey: testKeyEncryptionKey(), catalogue }),
    );
  }
  return { db: pools.at(-members) as Knex, repositories };
}

/** Events about many referrals over several months, with late, refolded, illegal and withdrawn ones (scenario-generator.ts). */
function stream(seed: number, referrals: number): AcceptedEvent[] {
  return generateScenario({
    seed,
    referrals,
    gaps: 4,
    milestones: 6,
    initiatives: [...initiativesById(catalogue).values()],
    start: Date.UTC(2025, 0, 20),
  });
}

const total = (rows: ReadonlyArray<{ measure: string; referral_count: number }>, measure: string) =>
  rows.filter((row) => row.measure === measure).reduce((sum, row) => sum + row.referral_count, 0);

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'projector_aggregates');
});

afterAll(async () => {
  await Promise.all(pools.map((db) => db.destroy()));
  pools = [];
  await database?.drop();
});

describe('the referral aggregates', () => {
  it('equal a full recount after a random stream applied by four consumers at once, in random order, with redeliveries', async () => {
    const events = stream(20, 150);
    const { db, repositories } = await freshView('view_aggregates_concurrent', 4);
    const rng = createRng(20);
    const shares: AcceptedEvent[][] = [[], [], [], []];
    for (const event of withDuplicates(rng, shuffle(rng, events), 0.1)) shares[rng.int(0, 3)]?.push(event);

    await Promise.all(
      repositories.map(async (repository, i) => {
        for (const batch of randomBatches(rng, shares[i] ?? [], 12)) await applyEvents(repository, batch, [], Date.now());
      }),
    );

    const maintained = await readReferralAggregates(db, 'view_aggregates_concurrent');
    expect(maintained).toEqual(await countAggregates(db, 'view_aggregates_concurrent'));
    // Not an empty agreement: every referral is counted once as made, over several months, some accepted.
    const referrals = Number((await db(VIEW_TABLE.referrals).count({ n: '*' }))[0]?.n);
    expect(referrals).toBeGreaterThan(100);
    expect(total(maintained, 'made')).toBe(referrals);
    expect(new Set(maintained.map((row) => row.month)).size).toBeGreaterThan(1);
    expect(maintained.some((row) => row.acceptance_week !== null)).toBe(true);
    expect(maintained.every((row) => row.referral_count > 0 && row.unkeyed === 0)).toBe(true);
  });

  it('equal a full recount after every batch of a random stream applied in order by one consumer', async () => {
    const events = stream(21, 40);
    const { db, repositories } = await freshView('view_aggregates_stepwise', 1);
    const rng = createRng(21);
    for (const batch of randomBatches(rng, events, 7)) {
      await applyEvents(repositories[0] as ViewRepository, batch, [], Date.now());
      expect(await readReferralAggregates(db, 'view_aggregates_stepwise')).toEqual(await countAggregates(db, 'view_aggregates_stepwise'));
    }
    expect(total(await readReferralAggregates(db, 'view_aggregates_stepwise'), 'made')).toBeGreaterThan(30);
  });

  it('move a referral between rows as its status changes, late events refold it, and its consent is withdrawn', async () => {
    const { db, repositories } = await freshView('view_aggregates_one', 1);
    const repository = repositories[0] as ViewRepository;
    const person = referral();
    const created = person.created(minute(0), { region: 'TORONTO', receivingMinistry: 'HEALTH' });
    const accepted = person.status('ACCEPTED', minute(0) + 10 * DAY);
    const started = person.status('IN_PROGRESS', minute(0) + 12 * DAY);
    const completed = person.status('COMPLETED', minute(0) + 20 * DAY);
    const rows = () => readReferralAggregates(db, 'view_aggregates_one');
    const recount = () => countAggregates(db, 'view_aggregates_one');

    await applyEvents(repository, [created], [], Date.now());
    expect((await rows()).map((row) => [row.measure, row.status, row.acceptance_week, row.referral_count])).toEqual([
      ['made', 'REQUESTED', null, 1],
    ]);
    // Started and completed first, accepted later but stamped before them: the refold puts the acceptance first.
    await applyEvents(repository, [started, completed], [], Date.now());
    expect(await rows()).toEqual(await recount());
    await applyEvents(repository, [accepted], [], Date.now());
    expect(await rows()).toEqual(await recount());
    expect((await rows()).map((row) => [row.measure, row.status, row.acceptance_week, row.referral_count])).toEqual([
      ['accepted', 'COMPLETED', acceptanceWeekOf(10), 1],
      ['closed', 'COMPLETED', acceptanceWeekOf(10), 1],
      ['made', 'COMPLETED', acceptanceWeekOf(10), 1],
    ]);
    // A withdrawn referral stays in the counts (the view keeps its row and record key): its aggregates do not move.
    const before = await rows();
    await applyEvents(repository, [person.withdrawn(minute(0) + 25 * DAY)], [], Date.now());
    expect(await rows()).toEqual(before);
    expect(await rows()).toEqual(await recount());
  });

  it('move with any statement on the referrals: record keys rewritten, a row updated or deleted by hand, the table truncated', async () => {
    const { db, repositories } = await freshView('view_aggregates_statements', 1);
    for (const batch of randomBatches(createRng(23), stream(23, 30), 10))
      await applyEvents(repositories[0] as ViewRepository, batch, [], Date.now());
    const rows = () => readReferralAggregates(db, 'view_aggregates_statements');
    const recount = () => countAggregates(db, 'view_aggregates_statements');
    const before = await rows();

    await db(VIEW_TABLE.referrals).update({ record_key: db.raw('(record_key + 1) % 4294967296') });
    expect(await rows()).toEqual(await recount());
    expect(await rows()).not.toEqual(before);
    // A view from before record keys: its referrals counted as unkeyed until the projector keys them.
    await db.raw('ALTER TABLE ?? ALTER COLUMN record_key DROP NOT NULL', [`view_aggregates_statements.${VIEW_TABLE.referrals}`]);
    await db(VIEW_TABLE.referrals).update({ record_key: null });
    expect((await rows()).every((row) => row.unkeyed === row.referral_count && row.record_key_sum === 0)).toBe(true);
    const [first] = (await db(VIEW_TABLE.referrals).orderBy('referral_id').limit(1).select('referral_id')) as { referral_id: string }[];
    await db(VIEW_TABLE.referrals).where('referral_id', first?.referral_id).update({ status: 'WITHDRAWN', region: 'TORONTO' });
    expect(await rows()).toEqual(await recount());
    await db(VIEW_TABLE.referrals).where('referral_id', first?.referral_id).delete();
    expect(total(await rows(), 'made')).toBe(total(before, 'made') - 1);
    expect(await rows()).toEqual(await recount());
    await db.raw('TRUNCATE ??', [`view_aggregates_statements.${VIEW_TABLE.referrals}`]);
    expect(await rows()).toEqual([]);
  });

  it('are recounted from the referrals alone, and a view whose aggregates drifted compares unequal to its recount', async () => {
    const events = stream(22, 60);
    const { db, repositories } = await freshView('view_aggregates_recount', 1);
    const other = await freshView('view_aggregates_recount_b', 1);
    for (const batch of randomBatches(createRng(22), events, 20)) {
      await applyEvents(repositories[0] as ViewRepository, batch, [], Date.now());
      await applyEvents(other.repositories[0] as ViewRepository, batch, [], Date.now());
    }
    const maintained = await readReferralAggregates(db, 'view_aggregates_recount');
    await db.transaction((trx) => recountAggregates(trx, 'view_aggregates_recount'));
    expect(await readReferralAggregates(db, 'view_aggregates_recount')).toEqual(maintained);

    const aggregatesDifference = async () =>
      (await compareViewSchemas(db, 'view_aggregates_recount', 'view_aggregates_recount_b')).find(
        (difference) => difference.table === VIEW_TABLE.referral_aggregates,
      );
    expect(await aggregatesDifference()).toMatchObject({ onlyInA: 0, onlyInB: 0 });
    await db.raw('UPDATE ?? SET referral_count = referral_count + 1 WHERE ctid = (SELECT min(ctid) FROM ??)', [
      `view_aggregates_recount_b.${VIEW_TABLE.referral_aggregates}`,
      `view_aggregates_recount_b.${VIEW_TABLE.referral_aggregates}`,
    ]);
    expect(await aggregatesDifference()).toMatchObject({ onlyInA: 1, onlyInB: 1 });
    await db.transaction((trx) => recountAggregates(trx, 'view_aggregates_recount_b'));
    expect(await aggregatesDifference()).toMatchObject({ onlyInA: 0, onlyInB: 0 });
  });
});
