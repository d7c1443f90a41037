import type { Knex } from '@passerelle/db';
import {
  VIEW_TABLE,
  BOOKKEEPING_COLUMNS,
  DERIVED_TABLES,
  VIEW_TABLES,
  type DerivedTable,
  type ViewSnapshot,
  type ViewTable,
} from '@passerelle/coordination-view';
import { sortRows } from '../domain/view-model.ts';
import { fromDbRow, qualified } from './rows.ts';

/** Every table of a view schema, rows in key order, times as epoch milliseconds. */
export async function readViewSnapshot(db: Knex, schema: string): Promise<ViewSnapshot> {
  const snapshot: Partial<Record<ViewTable, unknown[]>> = {};
  for (const table of VIEW_TABLES) {
    const rows = (await db(qualified(schema, table)).select('*')) as Record<string, unknown>[];
    snapshot[table] = sortRows(
      table,
      rows.map((row) => fromDbRow<Record<string, unknown>>(row)),
    );
  }
  return snapshot as unknown as ViewSnapshot;
}

export interface TableDifference {
  readonly table: ViewTable | DerivedTable;
  readonly rowsA: number;
  readonly rowsB: number;
  /** Rows of A with no equal row in B (bookkeeping columns left out), and the reverse. */
  readonly onlyInA: number;
  readonly onlyInB: number;
}

async function columnsOf(db: Knex, schema: string, table: ViewTable | DerivedTable): Promise<string[]> {
  const rows = (await db('information_schema.columns')
    .where({ table_schema: schema, table_name: table })
    .orderBy('ordinal_position')
    .select('column_name')) as { column_name: string }[];
  const bookkeeping = new Set((BOOKKEEPING_COLUMNS as Partial<Record<string, readonly string[]>>)[table] ?? []);
  return rows.map((row) => row.column_name).filter((column) => !bookkeeping.has(column));
}

/**
 * Compares two view schemas table by table, row by row, in SQL (EXCEPT ALL both ways), leaving
 * out bookkeeping columns (times the projector did something). Runs inside the caller's
 * transaction when given one, so the rebuild verifies exactly what it switches to. The derived
 * tables (the referral aggregates) are compared too: the live view's, moved batch by batch by its
 * triggers, must equal the rebuilt view's, moved by its bulk COPY.
 */
export async function compareViewSchemas(db: Knex | Knex.Transaction, schemaA: string, schemaB: string): Promise<TableDifference[]> {
  const differences: TableDifference[] = [];
  for (const table of [...VIEW_TABLES, ...DERIVED_TABLES]) {
    const columns = await columnsOf(db as Knex, schemaA, table);
    const list = columns.map(() => '??').join(', ');
    const a = qualified(schemaA, table);
    const b = qualified(schemaB, table);
    const count = async (from: string, minus: string): Promise<number> => {
      const result = await db.raw<{ rows: { n: number }[] }>(
        `SELECT count(*)::int AS n FROM (SELECT ${list} FROM ?? EXCEPT ALL SELECT ${list} FROM ??) AS d`,
        [...columns, from, ...columns, minus],
      );
      return result.rows[0]?.n ?? 0;
    };
    const rows = async (from: string): Promise<number> =>
      (await db.raw<{ rows: { n: number }[] }>('SELECT count(*)::int AS n FROM ??', [from])).rows[0]?.n ?? 0;
    differences.push({ table, rowsA: await rows(a), rowsB: await rows(b), onlyInA: await count(a, b), onlyInB: await count(b, a) });
  }
  return differences;
}

export interface ViewStatus {
  readonly tables: Record<string, number>;
  readonly referralsByStatus: Record<string, number>;
  /** Referrals with events in the history but no creation yet. */
  readonly pendingReferrals: number;
  readonly illegalTransitionsByReason: Record<string, number>;
  readonly deadLettersByReason: Record<string, number>;
  readonly migrations: string[];
}

async function countBy(db: Knex, schema: string, table: string, column: string): Promise<Record<string, number>> {
  const rows = (await db(qualified(schema, table)).select(`${column} as key`).count({ n: '*' }).groupBy(column).orderBy(column)) as {
    key: string;
    n: number;
  }[];
  return Object.fromEntries(rows.map((row) => [row.key, Number(row.n)]));
}

/** What `status` shows: sizes and the operator signals (pending referrals, illegal transitions, dead letters). */
export async function readViewStatus(db: Knex, schema: string, migrationsTable: string): Promise<ViewStatus> {
  const tables: Record<string, number> = {};
  for (const table of VIEW_TABLES) {
    const [row] = (await db(qualified(schema, table)).count({ n: '*' })) as { n: number }[];
    tables[table] = Number(row?.n ?? 0);
  }
  const pending = await db.raw<{ rows: { n: number }[] }>(
    'SELECT count(DISTINCT h.referral_id)::int AS n FROM ?? h WHERE NOT EXISTS (SELECT 1 FROM ?? r WHERE r.referral_id = h.referral_id)',
    [qualified(schema, VIEW_TABLE.referral_history), qualified(schema, VIEW_TABLE.referrals)],
  );
  const migrations = (await db(qualified(schema, migrationsTable)).orderBy('id').pluck('name')) as string[];
  return {
    tables,
    referralsByStatus: await countBy(db, schema, VIEW_TABLE.referrals, 'status'),
    pendingReferrals: pending.rows[0]?.n ?? 0,
    illegalTransitionsByReason: await countBy(db, schema, VIEW_TABLE.illegal_transitions, 'reason_code'),
    deadLettersByReason: await countBy(db, schema, VIEW_TABLE.dead_letters, 'reason_code'),
    migrations,
  };
}

export async function countIllegalTransitions(db: Knex, schema: string): Promise<Record<string, number>> {
  return countBy(db, schema, VIEW_TABLE.illegal_transitions, 'reason_code');
}

export async function countPendingReferrals(db: Knex, schema: string): Promise<number> {
  const pending = await db.raw<{ rows: { n: number }[] }>(
    'SELECT count(DISTINCT h.referral_id)::int AS n FROM ?? h WHERE NOT EXISTS (SELECT 1 FROM ?? r WHERE r.referral_id = h.referral_id)',
    [qualified(schema, VIEW_TABLE.referral_history), qualified(schema, VIEW_TABLE.referrals)],
  );
  return pending.rows[0]?.n ?? 0;
}
