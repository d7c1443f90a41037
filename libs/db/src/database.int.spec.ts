import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { createDatabase, migrate, ping, type Knex, type NamedMigration } from './index.ts';

const migrations: NamedMigration[] = [
  {
    name: '002_add_region',
    up: (db) => db.schema.alterTable('things', (t) => t.string('region')),
    down: (db) => db.schema.alterTable('things', (t) => t.dropColumn('region')),
  },
  {
    name: '001_things',
    up: (db) => db.schema.createTable('things', (t) => t.bigIncrements('id')),
    down: (db) => db.schema.dropTable('things'),
  },
];

describe('migrate', () => {
  let database: TestDatabase;
  let db: Knex;

  beforeAll(async () => {
    database = await createTestDatabase(inject('stack').databaseUrl, 'db_lib');
    db = createDatabase({ url: database.url, schema: 'view_a' });
  });

  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('applies migrations in name order once, inside the chosen schema', async () => {
    const first = await migrate(db, migrations, 'test_migrations', 'view_a');
    const second = await migrate(db, migrations, 'test_migrations', 'view_a');

    expect(first).toEqual(['001_things', '002_add_region']);
    expect(second).toEqual([]);
    const columns = await db('information_schema.columns').where({ table_schema: 'view_a', table_name: 'things' }).pluck('column_name');
    expect(columns.sort()).toEqual(['id', 'region']);
  });

  it('returns bigint counts as numbers and answers the readiness ping', async () => {
    await db('things').insert([{ region: 'EAST' }, { region: 'WEST' }]);

    const [{ count }] = (await db('things').count({ count: '*' })) as [{ count: unknown }];

    expect(count).toBe(2);
    expect(await ping(db)).toEqual({ ok: true });
  });
});
