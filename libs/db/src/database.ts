import knex, { type Knex } from 'knex';
import pg from 'pg';
import { restrictToOwner } from './database-roles.ts';

// BIGINT (int8) counts and ids come back as strings by default; ours stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type { Knex } from 'knex';

export interface DatabaseOptions {
  readonly url: string;
  readonly poolMax?: number;
  /** PostgreSQL schema to use (search_path); a rebuild writes into a fresh one. */
  readonly schema?: string;
  readonly applicationName?: string;
}

/** A knex instance on PostgreSQL; the only way services open a connection pool. */
export function createDatabase(options: DatabaseOptions): Knex {
  return knex({
    client: 'pg',
    connection: { connectionString: options.url, application_name: options.applicationName ?? 'passerelle' },
    searchPath: options.schema ? [options.schema, 'public'] : undefined,
    pool: { min: 0, max: options.poolMax ?? 10 },
    acquireConnectionTimeout: 10_000,
  });
}

/** Readiness probe: a round trip to the server. */
export async function ping(db: Knex): Promise<{ ok: boolean; detail?: string }> {
  try {
    await db.raw('select 1');
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

export interface NamedMigration {
  readonly name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

/**
 * Runs migrations given as modules (not read from a folder), so they work the same under
 * tsx, vitest and a bundler. Names sort in order: use a numeric prefix.
 */
export async function migrate(db: Knex, migrations: readonly NamedMigration[], tableName: string, schema?: string): Promise<string[]> {
  const byName = new Map(migrations.map((migration) => [migration.name, migration]));
  const source: Knex.MigrationSource<NamedMigration> = {
    getMigrations: async () => [...migrations].sort((a, b) => a.name.localeCompare(b.name)),
    getMigrationName: (migration) => migration.name,
    getMigration: async (migration) => {
      const found = byName.get(migration.name);
      if (!found) throw new Error(`unknown migration ${migration.name}`);
      return { up: (k: Knex) => found.up(k), down: (k: Knex) => found.down(k) };
    },
  };
  if (schema) await db.raw('CREATE SCHEMA IF NOT EXISTS ??', [schema]);
  const [, applied] = (await db.migrate.latest({ migrationSource: source, tableName, schemaName: schema })) as [number, string[]];
  const qualify = (table: string) => (schema ? `"${schema}"."${table}"` : table);
  await restrictToOwner(db, [qualify(tableName), qualify(`${tableName}_lock`)]);
  return applied;
}
