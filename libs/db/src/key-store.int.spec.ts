import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { randomUUID } from 'node:crypto';
import { DATA_KEYS_TABLE, KEY_STORE_SCHEMA, createDatabase, dataKeyFor, migrateKeyStore, readDataKeys, type Knex } from './index.ts';
import type { KeyWrapper } from './key-store.ts';

/** A stand-in for the contracts' key-encryption key (this library does not depend on them): unwrap refuses what it did not wrap. */
const kek: KeyWrapper = {
  id: 'test-kek-0000001',
  wrap: (referralId, key) => `wrapped:${referralId}:${key.toString('base64')}`,
  unwrap(referralId, wrapped) {
    const prefix = `wrapped:${referralId}:`;
    if (!wrapped.startsWith(prefix)) throw new Error('does not unwrap');
    return Buffer.from(wrapped.slice(prefix.length), 'base64');
  },
};

describe('the key store migration', () => {
  let database: TestDatabase;
  let pools: Knex[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(inject('stack').databaseUrl, 'key_store_migrate');
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.destroy()));
    await database.drop();
  });

  it('runs once when every adapter and the projector start at the same moment, and is a no-op afterwards', async () => {
    // Six services, one connection each, as `npm start` launches them.
    pools = Array.from({ length: 6 }, () => createDatabase({ url: database.url, poolMax: 1 }));

    const applied = await Promise.all(pools.map((pool) => migrateKeyStore(pool)));
    const again = await migrateKeyStore(pools[0] as Knex);

    expect(applied.flat()).toEqual(['0001_referral_data_keys', '0002_erasure_receipts', '0003_adapter_row_security']);
    expect(again).toEqual([]);
    const db = pools[0] as Knex;
    expect(await db.schema.withSchema(KEY_STORE_SCHEMA).hasTable(DATA_KEYS_TABLE)).toBe(true);
    // One lock row: a second one would make knex report the migrations locked for ever.
    expect(await db.withSchema(KEY_STORE_SCHEMA).table('knex_migrations_lock').count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('reads a damaged or forged key row as unreadable, and every other key as before', async () => {
    const db = pools[0] as Knex;
    const [good, damaged] = [randomUUID(), randomUUID()];
    await db.transaction((trx) => dataKeyFor(trx, kek, good, 'JUSTICE', () => Buffer.alloc(32, 7)));
    await db
      .withSchema(KEY_STORE_SCHEMA)
      .table(DATA_KEYS_TABLE)
      .insert({ referral_id: damaged, wrapped_key: Buffer.alloc(60, 1).toString('base64'), kek_id: kek.id, created_by: 'HEALTH' });

    const states = new Map(await readDataKeys(db, kek, [good, damaged]));

    expect(states.get(good)).toMatchObject({ state: 'live', createdBy: 'JUSTICE', key: Buffer.alloc(32, 7) });
    expect(states.get(damaged)).toEqual({ state: 'unreadable' });
  });
});
