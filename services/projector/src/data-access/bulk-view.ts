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
 * Writes rows into a freshly migrated, empty view schema, the fastest way PostgreSQL takes them,
 * inside one transaction: `start` empties the tables (the catalogue rows are rewritten from the
 * source) and drops their keys and indexes (definitions captured from the catalogue first);
 * `append` COPYs rows in, as often as the caller has rows to give (FREEZE: the tables were
 * truncated in this transaction, so their rows need no later hint-bit or freeze pass); `finish`
 * recreates the keys and indexes from the captured definitions and runs ANALYZE. A crash before
 * the commit leaves the schema as migrated, still unswitched.
 */
export class BulkViewWriter {
  private readonly tables: Record<string, number> = {};
  private written = 0;
  private copyMs = 0;

  private constructor(
    readonly trx: Knex.Transaction,
    readonly schema: string,
    private readonly shapes: Map<string, CopyColumn[]>,
    private readonly constraints: readonly Definition[],
    private readonly indexes: readonly Definition[],
    private readonly connection: CopyConnection,
  ) {}

  static async start(trx: Knex.Transaction, schema: string): Promise<BulkViewWriter> {
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
    const connection = (await trx.client.acquireConnection()) as CopyConnection;
    return new BulkViewWriter(trx, schema, shapes, constraints, indexes, connection);
  }

  private qualified(table: string): string {
    return `${ident(this.schema)}.${ident(table)}`;
  }

  /** Rows written so far, all tables together. */
  get rows(): number {
    return this.written;
  }

  /** COPYs these tables of the source in (every table by default); `onRows` hears of each buffer of rows sent. */
  async append(source: BulkSource, tables: readonly ViewTable[] = VIEW_TABLES, onRows?: (rows: number) => void): Promise<void> {
    const began = performance.now();
    for (const table of tables) {
      const { count, rows } = source.table(table);
      this.tables[table] = (this.tables[table] ?? 0) + count;
      if (count === 0) continue;
      // A peek at the first row names the columns; the rows are then read afresh from the source.
      const first = rows[Symbol.iterator]().next().value as object;
      const columns = copyColumns(this.schema, table, first, this.shapes.get(table) ?? []);
      const copy = this.connection.query(
        copyFrom(`COPY ${this.qualified(table)} (${columns.map((c) => ident(c.name)).join(', ')}) FROM STDIN (FORMAT binary, FREEZE true)`),
      );
      const data = copyData(source.table(table).rows, columns, (n) => {
        this.written += n;
        onRows?.(n);
      });
      await pipeline(Readable.from(data, { objectMode: false }), copy);
    }
    this.copyMs += performance.now() - began;
  }

  /**
   * A withdrawal the rebuild applied destroys its key here too (usually already destroyed by the
   * live projector: then only a missing receipt is written), in the transaction of the rows.
   */
  async shred(erasures: readonly ErasureRow[], keyEncryptionKey: KeyEncryptionKey | undefined): Promise<void> {
    if (erasures.length === 0) return;
    if (!keyEncryptionKey) throw new KeyStoreUnavailableError('writing a view with consent withdrawals');
    await shred(this.trx, keyEncryptionKey, erasures, this.schema, 'rebuild');
  }

  /** Keys and indexes back, statistics gathered: the view is ready to be queried once committed. */
  async finish(): Promise<BulkLoadReport> {
    let began = performance.now();
    for (const constraint of this.constraints)
      await this.trx.raw(
        `ALTER TABLE ${this.qualified(constraint.table)} ADD CONSTRAINT ${ident(constraint.name)} ${constraint.definition}`,
      );
    for (const index of this.indexes) await this.trx.raw(index.definition);
    const indexMs = performance.now() - began;
    began = performance.now();
    await this.trx.raw(`ANALYZE ${VIEW_TABLES.map((table) => this.qualified(table)).join(', ')}`);
    return { rows: this.written, tables: { ...this.tables }, copyMs: this.copyMs, indexMs, analyzeMs: performance.now() - began };
  }
}

/** Writes a whole view held in memory (BulkViewWriter, in one transaction). */
export async function writeViewInBulk(
  db: Knex,
  schema: string,
  source: BulkSource,
  onRows?: (written: number, total: number) => void,
  keys: { readonly keyEncryptionKey?: KeyEncryptionKey } = {},
): Promise<BulkLoadReport> {
  const total = VIEW_TABLES.reduce((sum, table) => sum + source.table(table).count, 0);
  let written = 0;
  return db.transaction(async (trx) => {
    const writer = await BulkViewWriter.start(trx, schema);
    await writer.append(source, VIEW_TABLES, (n) => {
      written += n;
      onRows?.(written, total);
    });
    await writer.shred(source.erasures?.() ?? [], keys.keyEncryptionKey);
    return writer.finish();
  });
}
