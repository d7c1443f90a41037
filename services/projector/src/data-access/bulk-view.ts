import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { KeyEncryptionKey } from '@passerelle/contracts';
import type { Knex } from '@passerelle/db';
import { VIEW_TABLES, type ViewTable } from '@passerelle/coordination-view';
import type { ErasureRow } from '../domain/view-model.ts';
import type { TableRows } from './view-state.ts';
import { CopyBinaryEncoder, type CopyColumn } from './copy-binary.ts';
import { KeyStoreUnavailableError, shred } from './key-store.repository.ts';

/** Where the rows come from: the rebuild's in-memory view. */
export interface BulkSource {
  table(table: ViewTable): TableRows;
  /** The erasing withdrawals the view applied: their data keys are destroyed (and receipts written) with the rows. */
  erasures?(): readonly ErasureRow[];
}

export interface BulkLoadReport {
  readonly rows: number;
  readonly tables: Readonly<Record<string, number>>;
  /** Time spent streaming rows in with COPY, then rebuilding keys and indexes, then ANALYZE. */
  readonly copyMs: number;
  readonly indexMs: number;
  readonly analyzeMs: number;
}

/** The pg connection under a knex transaction: COPY streams are submitted to it directly. */
interface CopyConnection {
  query<T>(query: T): T;
}

interface Definition {
  readonly table: string;
  readonly name: string;
  readonly definition: string;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function rowsOf<T>(trx: Knex.Transaction, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  return ((await trx.raw(sql, bindings as Knex.RawBinding[])) as { rows: T[] }).rows;
}

async function columnsOf(trx: Knex.Transaction, schema: string): Promise<Map<string, CopyColumn[]>> {
  const rows = await rowsOf<{ table: string; name: string; type: string }>(
    trx,
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ? AND c.relname = ANY(?) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`,
    [schema, [...VIEW_TABLES]],
  );
  const columns = new Map<string, CopyColumn[]>();
  for (const row of rows) columns.set(row.table, [...(columns.get(row.table) ?? []), { name: row.name, type: row.type }]);
  return columns;
}

/** Primary keys and unique constraints (they own an index), as `pg_get_constraintdef` writes them. */
function constraintsOf(trx: Knex.Transaction, schema: string): Promise<Definition[]> {
  return rowsOf<Definition>(
    trx,
    `SELECT c.relname AS table, con.conname AS name, pg_get_constraintdef(con.oid) AS definition
       FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ? AND c.relname = ANY(?) AND con.contype IN ('p', 'u', 'x')
      ORDER BY c.relname, con.conname`,
    [schema, [...VIEW_TABLES]],
  );
}

/** Every other index, as `pg_indexes` writes it (schema-qualified `CREATE INDEX`). */
function indexesOf(trx: Knex.Transaction, schema: string): Promise<Definition[]> {
  return rowsOf<Definition>(
    trx,
    `SELECT i.tablename AS table, i.indexname AS name, i.indexdef AS definition
       FROM pg_indexes i
      WHERE i.schemaname = ? AND i.tablename = ANY(?)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass)
      ORDER BY i.tablename, i.indexname`,
    [schema, [...VIEW_TABLES]],
  );
}

/** The COPY column list: the domain row's columns, each of which the table must have. */
function copyColumns(schema: string, table: string, first: object, known: readonly CopyColumn[]): CopyColumn[] {
  return Object.keys(first).map((name) => {
    const column = known.find((c) => c.name === name);
    if (!column) throw new Error(`table ${schema}.${table} has no column ${name}`);
    return column;
  });
}

/** The COPY data of one table, a buffer at a time: the stream pulls rows as PostgreSQL takes them. */
function* copyData(rows: Iterable<object>, columns: readonly CopyColumn[], written: (rows: number) => void): Generator<Buffer> {
  const ready: Buffer[] = [];
  const encoder = new CopyBinaryEncoder(columns, (chunk) => ready.push(chunk));
  let encoded = 0;
  for (const row of rows) {
    encoder.row(row);
    encoded++;
    if (ready.length === 0) continue;
    yield* ready.splice(0);
    written(encoded);
    encoded = 0;
  }
  encoder.end();
  yield* ready.splice(0);
  written(encoded);
}

/**
 * Writes a whole view into a freshly migrated, empty view schema, the fastest way PostgreSQL
 * takes rows: in one transaction, empty the tables (the catalogue rows are rewritten from the
 * source), drop their keys and indexes (definitions captured from the catalogue first), COPY
 * every table in (FREEZE: the table was truncated in this transaction, so its rows need no
 * later hint-bit or freeze pass), recreate the keys and indexes from the captured definitions,
 * ANALYZE. A crash before the commit leaves the schema as migrated, still unswitched.
 */
export async function writeViewInBulk(
  db: Knex,
  schema: string,
  source: BulkSource,
  onRows?: (written: number, total: number) => void,
  keys: { readonly keyEncryptionKey?: KeyEncryptionKey } = {},
): Promise<BulkLoadReport> {
  const total = VIEW_TABLES.reduce((sum, table) => sum + source.table(table).count, 0);
  const tables: Record<string, number> = {};
  let written = 0;
  return db.transaction(async (trx) => {
    // Index builds sort in memory up to this much per build (the session default is small).
    await trx.raw("SET LOCAL maintenance_work_mem = '256MB'");
    const shapes = await columnsOf(trx, schema);
    const constraints = await constraintsOf(trx, schema);
    const indexes = await indexesOf(trx, schema);
    const qualified = (table: string) => `${ident(schema)}.${ident(table)}`;

    await trx.raw(`TRUNCATE ${VIEW_TABLES.map(qualified).join(', ')}`);
    for (const index of indexes) await trx.raw(`DROP INDEX ${qualified(index.name)}`);
    for (const constraint of constraints)
      await trx.raw(`ALTER TABLE ${qualified(constraint.table)} DROP CONSTRAINT ${ident(constraint.name)}`);

    let began = performance.now();
    const connection = (await trx.client.acquireConnection()) as CopyConnection;
    for (const table of VIEW_TABLES) {
      const { count, rows } = source.table(table);
      tables[table] = count;
      if (count === 0) continue;
      // A peek at the first row names the columns; the rows are then read afresh from the source.
      const first = rows[Symbol.iterator]().next().value as object;
      const columns = copyColumns(schema, table, first, shapes.get(table) ?? []);
      const copy = connection.query(
        copyFrom(`COPY ${qualified(table)} (${columns.map((c) => ident(c.name)).join(', ')}) FROM STDIN (FORMAT binary, FREEZE true)`),
      );
      const data = copyData(source.table(table).rows, columns, (n) => {
        written += n;
        onRows?.(written, total);
      });
      await pipeline(Readable.from(data, { objectMode: false }), copy);
    }
    const copyMs = performance.now() - began;

    began = performance.now();
    for (const constraint of constraints)
      await trx.raw(`ALTER TABLE ${qualified(constraint.table)} ADD CONSTRAINT ${ident(constraint.name)} ${constraint.definition}`);
    for (const index of indexes) await trx.raw(index.definition);
    const indexMs = performance.now() - began;

    // A withdrawal the rebuild applied destroys its key here too (usually already destroyed by
    // the live projector: then only a missing receipt is written), in the transaction of the rows.
    const erasures = source.erasures?.() ?? [];
    if (erasures.length > 0) {
      if (!keys.keyEncryptionKey) throw new KeyStoreUnavailableError('writing a view with consent withdrawals');
      await shred(trx, keys.keyEncryptionKey, erasures, schema, 'rebuild');
    }

    began = performance.now();
    await trx.raw(`ANALYZE ${VIEW_TABLES.map(qualified).join(', ')}`);
    return { rows: written, tables, copyMs, indexMs, analyzeMs: performance.now() - began };
  });
}
