import type { Knex } from 'knex';
import { DatabaseRoleLayoutError } from './errors.ts';

/**
 * What a service role may do in one schema. `read-write` is plain DML (no TRUNCATE, no DDL);
 * `append` is SELECT and INSERT only, for the audit and for creating data keys; `append-update`
 * adds UPDATE without DELETE, for destroying data keys (a tombstone stays).
 */
export type SchemaAccess = 'read' | 'read-write' | 'append' | 'append-update';

export interface ServiceRole {
  /** The role's name is `<database>_<service>`. */
  readonly service: string;
  /** Every schema the role may use, with what it may do there; nothing else is granted. */
  readonly schemas: Readonly<Record<string, SchemaAccess>>;
}

/**
 * The adapters' schemas: each party's `adapter.databaseSchema` in schemas/parties.json (this lib
 * does not read the registry; tests/smoke/add-a-party.unit.spec.ts checks the two agree).
 */
export const ADAPTER_SCHEMAS = [
  'adapter_justice',
  'adapter_child_welfare',
  'adapter_health',
  'adapter_education',
  'adapter_coordination_office',
] as const;

/** The coordination view (written by the projector, read by the view API) and the view API's own schema. */
export const VIEW_SCHEMA = 'view';
export const VIEW_API_SCHEMA = 'view_api';
/** The key store of per-referral data keys (libs/db/src/key-store.ts). */
export const KEY_STORE_SCHEMA = 'keystore';

/**
 * One login role per service and what it may touch, by the services' default schema names.
 * The migrator (`<database>_migrator`) owns every one of these schemas and is the only role
 * that may create, alter or drop in them.
 */
export function serviceRoles(adapterSchemas: readonly string[] = ADAPTER_SCHEMAS): ServiceRole[] {
  return [
    ...adapterSchemas.map((schema): ServiceRole => ({
      service: schema,
      schemas: { [schema]: 'read-write', [KEY_STORE_SCHEMA]: 'append' },
    })),
    { service: 'projector', schemas: { [VIEW_SCHEMA]: 'read-write', [KEY_STORE_SCHEMA]: 'append-update' } },
    { service: 'view_api', schemas: { [VIEW_SCHEMA]: 'read', [VIEW_API_SCHEMA]: 'append', [KEY_STORE_SCHEMA]: 'read' } },
  ];
}

export const SERVICE_ROLES: readonly ServiceRole[] = serviceRoles();

export const MIGRATOR = 'migrator';

const TABLE_PRIVILEGES: Record<SchemaAccess, string> = {
  read: 'SELECT',
  'read-write': 'SELECT, INSERT, UPDATE, DELETE',
  append: 'SELECT, INSERT',
  'append-update': 'SELECT, INSERT, UPDATE',
};
const SEQUENCE_PRIVILEGES: Record<SchemaAccess, string | undefined> = {
  read: undefined,
  'read-write': 'USAGE, SELECT, UPDATE',
  append: 'USAGE',
  'append-update': 'USAGE',
};

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const MAX_IDENTIFIER = 63;
// Passwords go into CREATE/ALTER ROLE, which take no bind parameters: only characters that need no quoting.
const SAFE_PASSWORD = /^[A-Za-z0-9_-]{16,200}$/;

/** `<database>_<service>`, refused if it is not a plain identifier PostgreSQL keeps whole. */
export function roleName(database: string, service: string): string {
  const name = `${database}_${service}`;
  if (!IDENTIFIER.test(name) || name.length > MAX_IDENTIFIER) {
    throw new DatabaseRoleLayoutError(`role name ${name} must be a lower-case identifier of at most ${MAX_IDENTIFIER} characters`);
  }
  return name;
}

export interface DatabaseRoleNames {
  readonly migrator: string;
  /** By service (`adapter_justice`, `projector`, `view_api`, …). */
  readonly services: Readonly<Record<string, string>>;
}

export function databaseRoleNames(database: string, layout: readonly ServiceRole[] = SERVICE_ROLES): DatabaseRoleNames {
  return {
    migrator: roleName(database, MIGRATOR),
    services: Object.fromEntries(layout.map((role) => [role.service, roleName(database, role.service)])),
  };
}

export interface EnsureRolesOptions {
  /** Passwords by service name, and `migrator`; a role without one is left with the password it has. */
  readonly passwords?: Readonly<Record<string, string>>;
  readonly layout?: readonly ServiceRole[];
}

type Connection = Knex | Knex.Transaction;

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

async function rows<T>(db: Connection, sql: string, bindings: readonly Knex.RawBinding[] = []): Promise<T[]> {
  return ((await db.raw(sql, bindings)) as { rows: T[] }).rows;
}

async function currentDatabase(db: Connection): Promise<string> {
  const [row] = await rows<{ name: string }>(db, 'SELECT current_database() AS name');
  return row?.name ?? '';
}

async function existingRoles(db: Connection, names: readonly string[]): Promise<Set<string>> {
  return new Set(
    (await rows<{ rolname: string }>(db, 'SELECT rolname FROM pg_roles WHERE rolname = ANY(?)', [names as string[]])).map((r) => r.rolname),
  );
}

async function ensureLoginRole(db: Connection, name: string, exists: boolean, password: string | undefined): Promise<void> {
  if (password !== undefined && !SAFE_PASSWORD.test(password))
    throw new DatabaseRoleLayoutError(`the password of ${name} must be 16 to 200 characters of A-Z, a-z, 0-9, _ and -`);
  const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS${password === undefined ? '' : ` PASSWORD '${password}'`}`;
  await db.raw(`${exists ? 'ALTER' : 'CREATE'} ROLE ${ident(name)} ${attributes}`);
}

/** Hands a schema that exists already (made before roles, by a superuser) and everything in it to the migrator. */
async function adoptSchema(db: Connection, schema: string, migrator: string): Promise<void> {
  await db.raw(`ALTER SCHEMA ${ident(schema)} OWNER TO ${ident(migrator)}`);
  const owned = await rows<{ name: string; kind: string }>(
    db,
    `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND pg_get_userbyid(c.relowner) <> ?
      ORDER BY c.relkind = 'S'`,
    [schema, migrator],
  );
  const keyword: Record<string, string> = { r: 'TABLE', p: 'TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', S: 'SEQUENCE' };
  const linked = async (sequence: string) =>
    (
      await rows(db, `SELECT 1 FROM pg_depend WHERE objid = ?::regclass AND deptype IN ('a', 'i') AND refclassid = 'pg_class'::regclass`, [
        sequence,
      ])
    ).length > 0;
  for (const object of owned) {
    // A serial column's sequence follows its table.
    if (object.kind === 'S' && (await linked(object.name))) continue;
    await db.raw(`ALTER ${keyword[object.kind] ?? 'TABLE'} ${object.name} OWNER TO ${ident(migrator)}`);
  }
  const functions = await rows<{ signature: string }>(
    db,
    'SELECT p.oid::regprocedure::text AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ? AND pg_get_userbyid(p.proowner) <> ?',
    [schema, migrator],
  );
  for (const fn of functions) await db.raw(`ALTER FUNCTION ${fn.signature} OWNER TO ${ident(migrator)}`);
}

/**
 * Gives `role` exactly `access` in `schema`: on the tables there now and, through default
 * privileges, on those the migrator creates later. Earlier grants are revoked first, so a
 * narrowed layout narrows what the role holds.
 */
async function grantSchema(
  db: Connection,
  schema: string,
  role: string,
  access: SchemaAccess,
  migrator: string | undefined,
): Promise<void> {
  const [s, r] = [ident(schema), ident(role)];
  await db.raw(`GRANT USAGE ON SCHEMA ${s} TO ${r}`);
  await db.raw(`REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${r}`);
  await db.raw(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${r}`);
  await db.raw(`GRANT ${TABLE_PRIVILEGES[access]} ON ALL TABLES IN SCHEMA ${s} TO ${r}`);
  const sequences = SEQUENCE_PRIVILEGES[access];
  if (sequences) await db.raw(`GRANT ${sequences} ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`);
  await restrictToOwner(db, await bookkeepingTables(db, schema));
  if (!migrator) return;
  const by = `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(migrator)} IN SCHEMA ${s}`;
  await db.raw(`${by} REVOKE ALL ON TABLES FROM ${r}`);
  await db.raw(`${by} REVOKE ALL ON SEQUENCES FROM ${r}`);
  await db.raw(`${by} GRANT ${TABLE_PRIVILEGES[access]} ON TABLES TO ${r}`);
  if (sequences) await db.raw(`${by} GRANT ${sequences} ON SEQUENCES TO ${r}`);
}

/**
 * Creates (or brings up to date) the roles of the database `db` is connected to: the migrator,
 * which owns the layout's schemas (created here if missing, adopted if a superuser made them),
 * and one login role per service with exactly its grants. Idempotent; one transaction. Needs a
 * superuser connection (or one with CREATEROLE that owns the database and its schemas).
 * A role of another database cannot connect to this one.
 */
export async function ensureDatabaseRoles(db: Knex, options: EnsureRolesOptions = {}): Promise<DatabaseRoleNames> {
  const layout = options.layout ?? SERVICE_ROLES;
  return db.transaction(async (trx) => {
    const database = await currentDatabase(trx);
    const names = databaseRoleNames(database, layout);
    const all = [names.migrator, ...Object.values(names.services)];
    const existing = await existingRoles(trx, all);
    await ensureLoginRole(trx, names.migrator, existing.has(names.migrator), options.passwords?.[MIGRATOR]);
    for (const role of layout)
      await ensureLoginRole(
        trx,
        roleName(database, role.service),
        existing.has(roleName(database, role.service)),
        options.passwords?.[role.service],
      );

    const d = ident(database);
    await trx.raw(`REVOKE CONNECT, TEMPORARY ON DATABASE ${d} FROM PUBLIC`);
    await trx.raw(`GRANT CONNECT, TEMPORARY ON DATABASE ${d} TO ${all.map(ident).join(', ')}`);
    await trx.raw(`GRANT CREATE ON DATABASE ${d} TO ${ident(names.migrator)}`);

    const schemas = [...new Set(layout.flatMap((role) => Object.keys(role.schemas)))];
    for (const schema of schemas) {
      await trx.raw(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)} AUTHORIZATION ${ident(names.migrator)}`);
      await adoptSchema(trx, schema, names.migrator);
    }
    // Rebuilds in progress or retired by a superuser before roles existed: the migrator's rebuild drops them.
    const rebuilds = await rows<{ nspname: string }>(trx, 'SELECT nspname FROM pg_namespace WHERE nspname LIKE ? OR nspname LIKE ?', [
      `${VIEW_SCHEMA}\\_rebuild\\_%`,
      `${VIEW_SCHEMA}\\_retired\\_%`,
    ]);
    for (const { nspname } of rebuilds) await adoptSchema(trx, nspname, names.migrator);

    for (const role of layout) {
      for (const [schema, access] of Object.entries(role.schemas))
        await grantSchema(trx, schema, roleName(database, role.service), access, names.migrator);
    }
    return names;
  });
}

/**
 * Gives `schema` the grants the layout gives `like`, for the roles of this database that exist:
 * a rebuilt view must be usable by the projector and the view API the moment it takes the live
 * name. Run by the migrator (the schema's owner) or a superuser; without roles it does nothing.
 */
export async function grantSchemaLike(
  db: Connection,
  schema: string,
  like: string,
  layout: readonly ServiceRole[] = SERVICE_ROLES,
): Promise<string[]> {
  const database = await currentDatabase(db);
  // Plain concatenation: a name ensureDatabaseRoles would refuse simply matches no role.
  const names = {
    migrator: `${database}_${MIGRATOR}`,
    services: Object.fromEntries(layout.map((role) => [role.service, `${database}_${role.service}`])) as Record<string, string>,
  };
  const existing = await existingRoles(db, [names.migrator, ...Object.values(names.services)]);
  const migrator = existing.has(names.migrator) ? names.migrator : undefined;
  if (migrator) {
    const [owner] = await rows<{ owner: string }>(db, 'SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = ?', [
      schema,
    ]);
    if (owner && owner.owner !== migrator) await adoptSchema(db, schema, migrator);
  }
  const granted: string[] = [];
  for (const role of layout) {
    const access = role.schemas[like];
    const name = names.services[role.service];
    if (!access || !name || !existing.has(name)) continue;
    await grantSchema(db, schema, name, access, migrator);
    granted.push(name);
  }
  return granted;
}

/** Drops the roles of `database` (after the database itself: roles are cluster-wide). For tests. */
export async function dropDatabaseRoles(db: Knex, database: string, layout: readonly ServiceRole[] = SERVICE_ROLES): Promise<void> {
  const names = databaseRoleNames(database, layout);
  for (const name of [...Object.values(names.services), names.migrator]) await db.raw(`DROP ROLE IF EXISTS ${ident(name)}`);
}

/** knex's tables of applied migrations and of the migration lock in `schema`, known by their columns. */
async function bookkeepingTables(db: Connection, schema: string): Promise<string[]> {
  const found = await rows<{ name: string }>(
    db,
    `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.columns WHERE table_schema = ?
      GROUP BY table_schema, table_name
     HAVING array_agg(column_name::text ORDER BY column_name) IN (ARRAY['batch', 'id', 'migration_time', 'name'], ARRAY['index', 'is_locked'])`,
    [schema],
  );
  return found.map((row) => row.name);
}

/**
 * Keeps knex's bookkeeping tables (which migrations ran, the migration lock) to their owner:
 * default privileges grant a service role every table of its schema, these included.
 */
export async function restrictToOwner(db: Connection, tables: readonly string[]): Promise<void> {
  const grantees = await rows<{ grantee: string }>(
    db,
    `SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END AS grantee
       FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
      WHERE c.oid = ANY(SELECT to_regclass(t) FROM unnest(?::text[]) AS t) AND a.grantee <> c.relowner`,
    [tables as string[]],
  );
  if (grantees.length === 0) return;
  const existing = (
    await rows<{ name: string }>(db, 'SELECT to_regclass(t)::text AS name FROM unnest(?::text[]) AS t WHERE to_regclass(t) IS NOT NULL', [
      tables as string[],
    ])
  ).map((r) => r.name);
  await db.raw(`REVOKE ALL ON TABLE ${existing.join(', ')} FROM ${grantees.map((g) => g.grantee).join(', ')}`);
}

/** `url` with `role` (and its password, if any) as the user: how a service is pointed at its role. */
export function urlForRole(url: string, role: string, password?: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = password ?? '';
  return parsed.toString();
}
