import pg from 'pg';

/** The same server as `databaseUrl`, but its maintenance database, where CREATE DATABASE runs. */
export function maintenanceUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`DATABASE_URL: the database name must be a lower-case SQL identifier, got "${name}"`);
  }
  return name;
}

/** Returns the server version, or throws the driver's error (connection refused, auth…). */
export async function serverVersion(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: maintenanceUrl(databaseUrl), connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end();
  }
}

/** Creates the database when missing; safe when several callers race. Returns true if created. */
export async function ensureDatabase(databaseUrl: string, database: string): Promise<boolean> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new Error(`not a safe database name: "${database}"`);
  const client = new pg.Client({ connectionString: maintenanceUrl(databaseUrl), connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${database}"`);
      return true;
    } catch (error) {
      // 42P04 duplicate_database, 23505 when two CREATEs race on the catalog
      const code = (error as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw error;
    }
  } finally {
    await client.end();
  }
}

/** Drops a database, closing its other sessions first; used by tests that made their own. */
export async function dropDatabase(databaseUrl: string, database: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new Error(`not a safe database name: "${database}"`);
  const client = new pg.Client({ connectionString: maintenanceUrl(databaseUrl), connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function onMaintenance<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: maintenanceUrl(databaseUrl), connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The database's COMMENT; null when it has none, undefined when the database does not exist. */
export async function databaseComment(databaseUrl: string, database: string): Promise<string | null | undefined> {
  return onMaintenance(databaseUrl, async (client) => {
    const result = await client.query<{ comment: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
      [database],
    );
    return result.rowCount ? (result.rows[0]?.comment ?? null) : undefined;
  });
}

/** Sets the database's COMMENT (a label other tools can read back with databaseComment). */
export async function commentOnDatabase(databaseUrl: string, database: string, comment: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) throw new Error(`not a safe database name: "${database}"`);
  await onMaintenance(databaseUrl, async (client) => {
    const literal = (await client.query<{ quoted: string }>('SELECT quote_literal($1::text) AS quoted', [comment])).rows[0]?.quoted;
    await client.query(`COMMENT ON DATABASE "${database}" IS ${literal}`);
  });
}

/** The names of the database's tables in its public schema. */
export async function publicTables(databaseUrl: string, database: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: withDatabase(databaseUrl, database), connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const result = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    return result.rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}
