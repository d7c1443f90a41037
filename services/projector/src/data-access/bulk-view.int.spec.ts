import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testKeyEncryptionKey } from '@passerelle/contracts/testing';
import { createDatabase, type Knex } from '@passerelle/db';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { prepareView } from '../projector.ts';
import { applyEvents } from '../domain/apply-events.ts';
import { initiativeRowsOf } from '../domain/initiative.projection.ts';
import { VIEW_TABLE, VIEW_TABLES, type DeadLetterRow } from '@passerelle/coordination-view';
import type { AcceptedEvent } from '../domain/view-model.ts';
import { ViewState } from './view-state.ts';
import { TEST_RECORD_KEY_SECRET, testRecordKeys } from '../testing/record-keys.ts';
import { createRng, generateScenario, randomBatches, shuffle } from '../testing/scenario-generator.ts';
import { writeViewInBulk } from './bulk-view.ts';

const stack = inject('stack');
const catalogue = loadCatalogue();
let database: TestDatabase;
const pools: Knex[] = [];

async function freshView(schema: string) {
  const db = createDatabase({ url: database.url, schema, poolMax: 2 });
  pools.push(db);
  return {
    db,
    repository: await prepareView(db, schema, {
      recordKeySecret: TEST_RECORD_KEY_SECRET,
      keyEncryptionKey: testKeyEncryptionKey(),
      catalogue,
    }),
  };
}

/** Every row of a table as PostgreSQL prints it (all columns, times to the microsecond, jsonb canonical), in order. */
async function tableText(db: Knex, schema: string, table: string): Promise<string[]> {
  const { rows } = (await db.raw('SELECT t::text AS row FROM ??.?? t ORDER BY 1', [schema, table])) as { rows: { row: string }[] };
  return rows.map((row) => row.row);
}

/** Index and constraint definitions of a schema, with its name taken out so two schemas compare. */
async function indexDefinitions(db: Knex, schema: string): Promise<string[]> {
  const { rows } = (await db.raw('SELECT indexdef FROM pg_indexes WHERE schemaname = ? ORDER BY indexname', [schema])) as {
    rows: { indexdef: string }[];
  };
  return rows.map((row) => row.indexdef.replaceAll(`${schema}.`, '<schema>.'));
}

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'projector_bulk_view');
});

afterAll(async () => {
  await Promise.all(pools.map((db) => db.destroy()));
  await database?.drop();
});

describe('writing the in-memory view in bulk', () => {
  it('stores, byte for byte, what the live path stores for the same batches, and leaves the same keys and indexes', async () => {
    const events = generateScenario({
      seed: 31,
      referrals: 120,
      gaps: 20,
      milestones: 40,
      initiatives: [...initiativesById(catalogue).values()],
    });
    const rng = createRng(31);
    const batches = randomBatches(rng, shuffle(rng, events), 30);
    // Text that COPY must carry intact: a tab, a newline, a backslash, a quote, a non-ASCII letter.
    const letters: DeadLetterRow[] = [
      {
        source_topic: 'justice.referrals.v1',
        source_partition: 2,
        source_offset: 9,
        reason_code: 'decode_failed',
        reason: 'tab\there, line\nbreak, back\\slash, "quoted", é',
        event_id: null,
        event_type: null,
        published: false,
        dead_lettered_at: 1_700_000_000_123,
      },
    ];
    const live = await freshView('view_live');
    const bulk = await freshView('view_bulk');
    const state = new ViewState(initiativeRowsOf(catalogue), testRecordKeys);

    for (const [i, batch] of batches.entries()) {
      const now = 1_700_000_000_000 + i * 1_001;
      const deadLetters = i === 0 ? letters : [];
      await applyEvents(live.repository, batch as AcceptedEvent[], deadLetters, now);
      await applyEvents(state, batch as AcceptedEvent[], deadLetters, now);
    }
    const progress: number[] = [];
    const report = await writeViewInBulk(bulk.db, 'view_bulk', state, (written) => progress.push(written), {
      keyEncryptionKey: testKeyEncryptionKey(),
    });

    for (const table of VIEW_TABLES)
      expect(await tableText(bulk.db, 'view_bulk', table), table).toEqual(await tableText(live.db, 'view_live', table));
    expect(await indexDefinitions(bulk.db, 'view_bulk')).toEqual(await indexDefinitions(live.db, 'view_live'));
    expect((await indexDefinitions(bulk.db, 'view_bulk')).length).toBeGreaterThan(VIEW_TABLES.length);
    expect(report.rows).toBe(VIEW_TABLES.reduce((sum, table) => sum + state.table(table).count, 0));
    expect(progress.at(-1)).toBe(report.rows);
    expect(report.tables[VIEW_TABLE.referral_history]).toBeGreaterThan(events.length / 2);
  });

  it('leaves the schema as migrated when a row cannot be written, so nothing half-loaded is ever switched in', async () => {
    const { db } = await freshView('view_failed');
    const state = new ViewState(initiativeRowsOf(catalogue), testRecordKeys);
    const broken = generateScenario({
      seed: 32,
      referrals: 5,
      gaps: 0,
      milestones: 0,
      initiatives: [...initiativesById(catalogue).values()],
    });
    await applyEvents(state, broken.map((event) => ({ ...event, eventId: 'not-a-uuid' })).slice(0, 1) as AcceptedEvent[], [], 1);

    await expect(writeViewInBulk(db, 'view_failed', state)).rejects.toThrow('not a uuid');

    expect(await tableText(db, 'view_failed', VIEW_TABLE.processed_events)).toEqual([]);
    expect((await tableText(db, 'view_failed', VIEW_TABLE.initiatives)).length).toBe(initiativeRowsOf(catalogue).length);
    expect((await indexDefinitions(db, 'view_failed')).length).toBeGreaterThan(VIEW_TABLES.length);
  });
});
