import type { Knex } from '@passerelle/db';

/** One column of a view table as the catalogue describes it (`format_type`, e.g. `timestamp with time zone`). */
export interface ColumnShape {
  readonly name: string;
  readonly type: string;
}

const TIMESTAMPTZ = 'timestamp with time zone';

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The statement as PostgreSQL receives it: knex's `?` placeholders numbered `$1`, `$2`… (for span attributes). */
export function asExecuted(statement: string): string {
  let n = 0;
  return statement.replace(/\?/g, () => `$${++n}`);
}

/**
 * The column list of every table of `schema`, read once from the catalogue so the statements
 * below always declare the types the tables have, whatever migration made them.
 */
export async function readTableShapes(db: Knex | Knex.Transaction, schema: string): Promise<Map<string, readonly ColumnShape[]>> {
  const { rows } = (await db.raw(
    `SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS column_type
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY c.relname, a.attnum`,
    [schema],
  )) as { rows: { table_name: string; column_name: string; column_type: string }[] };
  const shapes = new Map<string, ColumnShape[]>();
  for (const row of rows) {
    const columns = shapes.get(row.table_name) ?? [];
    columns.push({ name: row.column_name, type: row.column_type });
    shapes.set(row.table_name, columns);
  }
  return shapes;
}

/**
 * Statements that take a whole set of rows as one jsonb parameter (`jsonb_to_recordset`), so a
 * chunk of any size is one statement with one bound value: no per-row placeholders to build,
 * serialise and parse. Rows are the domain's plain objects, keyed by column name; times are
 * epoch milliseconds, turned into timestamptz exactly (integer milliseconds, no float rounding).
 */
export class RecordSetStatements {
  private readonly cache = new Map<string, string>();

  constructor(
    readonly schema: string,
    private readonly shapes: ReadonlyMap<string, readonly ColumnShape[]>,
  ) {}

  /** `schema.table`, quoted. */
  table(table: string): string {
    return `${quoteIdent(this.schema)}.${quoteIdent(table)}`;
  }

  private shape(table: string, columns: readonly string[]): ColumnShape[] {
    const known = this.shapes.get(table);
    if (!known) throw new Error(`table ${this.schema}.${table} does not exist (has the view been migrated?)`);
    return columns.map((name) => {
      const column = known.find((c) => c.name === name);
      if (!column) throw new Error(`table ${this.schema}.${table} has no column ${name}`);
      return column;
    });
  }

  /** `FROM jsonb_to_recordset($1::jsonb) AS r(...)` with timestamptz columns read as bigint milliseconds. */
  private source(shape: readonly ColumnShape[]): string {
    const declared = shape.map((c) => `${quoteIdent(c.name)} ${c.type === TIMESTAMPTZ ? 'bigint' : c.type}`).join(', ');
    return `jsonb_to_recordset(?::jsonb) AS r(${declared})`;
  }

  private value(column: ColumnShape): string {
    const ref = `r.${quoteIdent(column.name)}`;
    return column.type === TIMESTAMPTZ ? `(timestamptz 'epoch' + ${ref} * interval '1 millisecond')` : ref;
  }

  private cached(key: string, build: () => string): string {
    let sql = this.cache.get(key);
    if (sql === undefined) this.cache.set(key, (sql = build()));
    return sql;
  }

  /**
   * `INSERT … SELECT … FROM jsonb_to_recordset(?)` with an optional conflict clause (written
   * against the table's own name and `excluded`) and RETURNING list.
   */
  insert(table: string, columns: readonly string[], conflict = '', returning: readonly string[] = []): string {
    return this.cached(`insert:${table}:${columns.join(',')}:${conflict}:${returning.join(',')}`, () => {
      const shape = this.shape(table, columns);
      return [
        `INSERT INTO ${this.table(table)} AS t (${shape.map((c) => quoteIdent(c.name)).join(', ')})`,
        `SELECT ${shape.map((c) => this.value(c)).join(', ')} FROM ${this.source(shape)}`,
        conflict,
        returning.length ? `RETURNING ${returning.map(quoteIdent).join(', ')}` : '',
      ]
        .filter(Boolean)
        .join(' ');
    });
  }

  /** `ON CONFLICT (key) DO UPDATE SET` every other column to the incoming value. */
  mergeAll(table: string, columns: readonly string[], key: readonly string[]): string {
    return this.cached(`merge:${table}:${columns.join(',')}:${key.join(',')}`, () => {
      const updated = columns.filter((c) => !key.includes(c));
      return `ON CONFLICT (${key.map(quoteIdent).join(', ')}) DO UPDATE SET ${updated.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(', ')}`;
    });
  }

  /** `UPDATE … SET columns FROM jsonb_to_recordset(?) WHERE key matches`: one statement for many rows. */
  update(table: string, key: string, columns: readonly string[]): string {
    return this.cached(`update:${table}:${key}:${columns.join(',')}`, () => {
      const shape = this.shape(table, [key, ...columns.filter((c) => c !== key)]);
      const set = shape
        .filter((c) => c.name !== key)
        .map((c) => `${quoteIdent(c.name)} = ${this.value(c)}`)
        .join(', ');
      return `UPDATE ${this.table(table)} AS t SET ${set} FROM ${this.source(shape)} WHERE t.${quoteIdent(key)} = r.${quoteIdent(key)}`;
    });
  }

  /**
   * `SELECT` every column of rows whose `key` is in the bound array, timestamptz columns as epoch
   * milliseconds (bigint), so rows come back in the domain's time without parsing dates.
   */
  selectWhereIn(table: string, key: string, keyType: string): string {
    return this.cached(`select:${table}:${key}`, () => {
      const columns = this.shapes.get(table);
      if (!columns) throw new Error(`table ${this.schema}.${table} does not exist (has the view been migrated?)`);
      const list = columns
        .map((c) =>
          c.type === TIMESTAMPTZ
            ? `(extract(epoch from ${quoteIdent(c.name)}) * 1000)::bigint AS ${quoteIdent(c.name)}`
            : quoteIdent(c.name),
        )
        .join(', ');
      return `SELECT ${list} FROM ${this.table(table)} WHERE ${quoteIdent(key)} = ANY(?::${keyType}[])`;
    });
  }
}
