/**
 * Rows go to PostgreSQL with Date for every `*_at` column (timestamptz) and come back with
 * epoch milliseconds, the domain's time. Everything else passes as is (jsonb objects, text[]
 * arrays, bigints as numbers through the parser @passerelle/db installs).
 */
export function toDbRow(row: object): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    result[column] = column.endsWith('_at') && typeof value === 'number' ? new Date(value) : value;
  }
  return result;
}

export function fromDbRow<T>(row: Record<string, unknown>): T {
  const result: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) result[column] = value instanceof Date ? value.getTime() : value;
  return result as T;
}

/** `schema.table`, for knex's `??` identifier binding and `withSchema`-less builders. */
export function qualified(schema: string, table: string): string {
  return `${schema}.${table}`;
}
