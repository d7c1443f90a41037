import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { databaseComment, dropDatabase, ensureDatabase, publicTables, withDatabase } from '@passerelle/pg-admin';
import { rejectionOf } from '@passerelle/testing';
import { loadStackConfig } from './config.ts';
import { bindDatabaseToCredentials, databaseLabel } from './keycloak.ts';

// A scratch database per test, never the stack's own Keycloak database.
const base = loadStackConfig();
const made: string[] = [];
const admin = { username: 'admin', password: randomBytes(32).toString('base64url') };

function scratch() {
  const database = `passerelle_kcdb_${randomBytes(4).toString('hex')}`;
  made.push(database);
  return { ...base, keycloak: { ...base.keycloak, database } };
}

async function sql(database: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(base.databaseUrl, database) });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  for (const database of made) await dropDatabase(base.databaseUrl, database);
});

describe('the Keycloak database belongs to the credentials file', () => {
  it('creates a missing database and labels it with a hash of the admin password, not the password', async () => {
    const config = scratch();
    const said: string[] = [];
    await bindDatabaseToCredentials(config, { admin, fileIsNew: true }, (line) => said.push(line));
    expect(said).toEqual([`keycloak: created PostgreSQL database ${config.keycloak.database}`]);
    const label = await databaseComment(base.databaseUrl, config.keycloak.database);
    expect(label).toBe(databaseLabel(admin));
    expect(label).not.toContain(admin.password);
  });

  it('keeps a database labelled for the same credentials, with its data', async () => {
    const config = scratch();
    await bindDatabaseToCredentials(config, { admin, fileIsNew: true }, () => undefined);
    await sql(config.keycloak.database, 'CREATE TABLE realm (id text)');
    await bindDatabaseToCredentials(config, { admin, fileIsNew: false }, () => undefined);
    expect(await publicTables(base.databaseUrl, config.keycloak.database)).toEqual(['realm']);
  });

  it('drops and recreates a database labelled for credentials since made again, and says why', async () => {
    const config = scratch();
    await bindDatabaseToCredentials(config, { admin, fileIsNew: true }, () => undefined);
    await sql(config.keycloak.database, 'CREATE TABLE realm (id text)');
    const renewed = { username: 'admin', password: randomBytes(32).toString('base64url') };
    const said: string[] = [];
    await bindDatabaseToCredentials(config, { admin: renewed, fileIsNew: true }, (line) => said.push(line));
    expect(await publicTables(base.databaseUrl, config.keycloak.database)).toEqual([]);
    expect(await databaseComment(base.databaseUrl, config.keycloak.database)).toBe(databaseLabel(renewed));
    expect(said.join('\n')).toMatch(/another admin password.*dropping and recreating/);
  });

  it('drops an unlabelled Keycloak when the credentials file is new (a fresh clone on a server that kept it)', async () => {
    const config = scratch();
    await ensureDatabase(base.databaseUrl, config.keycloak.database);
    await sql(config.keycloak.database, 'CREATE TABLE realm (id text)');
    await bindDatabaseToCredentials(config, { admin, fileIsNew: true }, () => undefined);
    expect(await publicTables(base.databaseUrl, config.keycloak.database)).toEqual([]);
  });

  it('keeps and labels an unlabelled Keycloak when the credentials file is older (a checkout from before labels)', async () => {
    const config = scratch();
    await ensureDatabase(base.databaseUrl, config.keycloak.database);
    await sql(config.keycloak.database, 'CREATE TABLE realm (id text)');
    await bindDatabaseToCredentials(config, { admin, fileIsNew: false }, () => undefined);
    expect(await publicTables(base.databaseUrl, config.keycloak.database)).toEqual(['realm']);
    expect(await databaseComment(base.databaseUrl, config.keycloak.database)).toBe(databaseLabel(admin));
  });

  it('refuses, and touches nothing, when the database holds tables that are not Keycloak’s', async () => {
    const config = scratch();
    await ensureDatabase(base.databaseUrl, config.keycloak.database);
    await sql(config.keycloak.database, 'CREATE TABLE invoices (id text)');
    const error = await rejectionOf(bindDatabaseToCredentials(config, { admin, fileIsNew: true }, () => undefined));
    expect(error).toMatchObject({ code: 'KEYCLOAK_DATABASE_FOREIGN' });
    expect(await publicTables(base.databaseUrl, config.keycloak.database)).toEqual(['invoices']);
    expect(await databaseComment(base.databaseUrl, config.keycloak.database)).toBeNull();
  });
});
