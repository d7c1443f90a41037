import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase, withDatabase } from '@passerelle/pg-admin';

/** A short random suffix, so parallel spec files never share a topic, subject or database. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${uniqueSuffix()}`;
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/** A database of the spec file's own on the stack's PostgreSQL, dropped by `drop()`. */
export async function createTestDatabase(databaseUrl: string, prefix: string): Promise<TestDatabase> {
  const name = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${uniqueSuffix()}`.toLowerCase();
  await ensureDatabase(databaseUrl, name);
  return { name, url: withDatabase(databaseUrl, name), drop: () => dropDatabase(databaseUrl, name) };
}
