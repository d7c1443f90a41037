import type { Knex } from 'knex';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import {
  openDatabase,
  startAdapters,
  stopAdapters,
  type AdapterName,
  type StackAddresses,
  type StartedAdapter,
} from './adapter-harness.ts';

/** What an adapters spec runs against: a database of its own and the five adapters started in it. */
export interface AdaptersFixture {
  readonly database: TestDatabase;
  /** A pool on the spec file's database, for counting the adapters' rows. */
  readonly db: Knex;
  readonly adapters: Record<AdapterName, StartedAdapter>;
  /** Stops the adapters, closes the pool and drops the database. */
  stop(): Promise<void>;
}

/**
 * Creates the spec file's database and starts every adapter in it. If a step fails, what the steps
 * before it made is released before the error is thrown, as the spec never receives a fixture to stop.
 */
export async function startAdaptersFixture(stack: StackAddresses, databasePrefix: string): Promise<AdaptersFixture> {
  let database: TestDatabase | undefined;
  let db: Knex | undefined;
  let adapters: Record<AdapterName, StartedAdapter> | undefined;
  const stop = async (): Promise<void> => {
    await stopAdapters(adapters ?? {});
    await db?.destroy();
    await database?.drop();
  };
  try {
    database = await createTestDatabase(stack.databaseUrl, databasePrefix);
    db = openDatabase(database.url);
    adapters = await startAdapters({ ...stack, databaseUrl: database.url });
    return { database, db, adapters, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
