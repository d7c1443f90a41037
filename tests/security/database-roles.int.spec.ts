import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrateAdapter } from '@passerelle/adapter';
import * as childWelfare from '@passerelle/adapter-child-welfare';
import * as coordinationOffice from '@passerelle/adapter-coordination-office';
import * as education from '@passerelle/adapter-education';
import * as health from '@passerelle/adapter-health';
import * as justice from '@passerelle/adapter-justice';
import { newDataKey } from '@passerelle/contracts';
import { TEST_KEY_ENCRYPTION_KEY_HEX, testKeyEncryptionKey } from '@passerelle/contracts/testing';
import {
  ADAPTER_SCHEMAS,
  ERASURE_RECEIPTS_TABLE,
  KEY_STORE_SCHEMA,
  createDatabase,
  dataKeyFor,
  destroyDataKey,
  dropDatabaseRoles,
  ensureDatabaseRoles,
  grantSchemaLike,
  migrateKeyStore,
  urlForRole,
  type DatabaseRoleNames,
  type Knex,
} from '@passerelle/db';
import { prepareView } from '@passerelle/projector';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import {
  DEFAULT_AUDIENCE,
  DEFAULT_ISSUER,
  GENESIS_HASH,
  migrateViewApi,
  mintDevToken,
  start,
  type RunningViewApi,
} from '@passerelle/view-api';
import { API_SCHEMA, RECORD_KEY_SECRET, SECRET, VIEW_SCHEMA, quiet, viewApiConfig } from '../view-api/harness.ts';
import { SEED, seedView } from '../view-api/view-seed.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/**
 * Each service's PostgreSQL role, proven against the real server: what it may do works, and
 * what it may not fails with insufficient_privilege (42501) from PostgreSQL's own checks, not
 * from the audit's trigger (which raises the same code, hence the messages are checked too).
 */
let database: TestDatabase;
let admin: Knex;
let roles: DatabaseRoleNames;
const pools: Knex[] = [];

function connect(role: string, schema?: string): Knex {
  const db = createDatabase({
    url: urlForRole(database.url, role),
    poolMax: 1,
    ...(schema ? { schema } : {}),
    applicationName: `roles-spec-${role}`,
  });
  pools.push(db);
  return db;
}
const byService = new Map<string, Knex>();
/** One pool per service role, without a search path: every statement names its schema. */
function as(service: string): Knex {
  const db = byService.get(service) ?? connect(roles.services[service] ?? `missing_${service}`);
  byService.set(service, db);
  return db;
}

/** The PostgreSQL error a statement fails with (its SQLSTATE and message), or a failure if it succeeds. */
async function refusal(statement: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await statement;
  } catch (error) {
    return { code: String((error as { code?: unknown }).code), message: (error as Error).message };
  }
  throw new Error('the statement succeeded');
}
const denied = (what: RegExp) => ({ code: '42501', message: expect.stringMatching(what) as unknown as string });

const auditRow = () => ({ endpoint: '/v1/test', filters: '{}', referral_ids: [], request_id: randomUUID(), kind: 'person-level' });

beforeAll(async () => {
  database = await createTestDatabase(inject('stack').databaseUrl, 'db_roles');
  admin = createDatabase({ url: database.url, poolMax: 1 });
  roles = await ensureDatabaseRoles(admin);
  // The real migrations, run as the migrator, the way the services run them.
  for (const schema of ADAPTER_SCHEMAS) await migrateAdapter(connect(roles.migrator, schema), schema);
  const migrator = connect(roles.migrator, VIEW_SCHEMA);
  await migrateKeyStore(migrator);
  await prepareView(migrator, VIEW_SCHEMA, { recordKeySecret: RECORD_KEY_SECRET });
  await seedView(as('projector'), VIEW_SCHEMA);
  await migrateViewApi(migrator, API_SCHEMA);
});

afterAll(async () => {
  await Promise.all(pools.map((db) => db.destroy()));
  await admin?.destroy();
  await database?.drop();
  const cluster = createDatabase({ url: inject('stack').databaseUrl, poolMax: 1 });
  try {
    await dropDatabaseRoles(cluster, database.name);
  } finally {
    await cluster.destroy();
  }
});

describe('database roles: one per service, each with only what it needs', () => {
  it('names the roles after the database, and makes the migrator own every schema and table', async () => {
    expect(roles.migrator).toBe(`${database.name}_migrator`);
    expect(roles.services['adapter_justice']).toBe(`${database.name}_adapter_justice`);
    const owners = (await admin.raw(
      `SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(?) AND c.relkind IN ('r', 'S')`,
      [[...ADAPTER_SCHEMAS, VIEW_SCHEMA, API_SCHEMA]],
    )) as { rows: { owner: string }[] };
    expect(owners.rows.map((r) => r.owner)).toEqual([roles.migrator]);
  });

  it('keeps the adapters schema list in step with each adapter own default schema', () => {
    const env = {
      PASSERELLE_MINISTRY_TOKEN: 't'.repeat(32),
      PASSERELLE_PSEUDONYM_KEY: 'k'.repeat(32),
      PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
    };
    const schemas = [justice, childWelfare, health, education, coordinationOffice].map((adapter) => adapter.loadConfig(env).databaseSchema);
    expect([...schemas].sort()).toEqual([...ADAPTER_SCHEMAS].sort());
  });

  it('is idempotent: a second run changes nothing a service relies on', async () => {
    expect(await ensureDatabaseRoles(admin)).toEqual(roles);
    expect(await as('view_api').withSchema(VIEW_SCHEMA).table(VIEW_TABLE.referrals).count({ n: '*' })).toEqual([
      { n: expect.any(Number) as unknown as number },
    ]);
  });

  it('lets the view API read the view and append to the audit, and nothing more', async () => {
    const viewApi = as('view_api');
    expect((await viewApi.withSchema(VIEW_SCHEMA).table(VIEW_TABLE.referrals).where({ referral_id: SEED.healthToHealth })).length).toBe(1);
    await viewApi.withSchema(API_SCHEMA).table('audit').insert(auditRow());

    const audit = () => viewApi.withSchema(API_SCHEMA).table('audit');
    expect(await refusal(audit().update({ reason: 'rewritten' }))).toMatchObject(denied(/permission denied for table audit/));
    expect(await refusal(audit().delete())).toMatchObject(denied(/permission denied for table audit/));
    expect(await refusal(viewApi.raw('TRUNCATE view_api.audit'))).toMatchObject(denied(/permission denied for table audit/));
    expect(await refusal(viewApi.withSchema(VIEW_SCHEMA).table(VIEW_TABLE.referrals).update({ status: 'WITHDRAWN' }))).toMatchObject(
      denied(/permission denied for table referrals/),
    );
    expect(
      await refusal(
        viewApi
          .withSchema(VIEW_SCHEMA)
          .table(VIEW_TABLE.processed_events)
          .insert({ event_id: randomUUID(), event_type: 'x', source_topic: 't', source_partition: 0, source_offset: 0 }),
      ),
    ).toMatchObject(denied(/permission denied for table processed_events/));
    // knex's bookkeeping stays the migrator's: a forged row could make it skip a migration.
    expect(
      await refusal(
        viewApi.withSchema(API_SCHEMA).table('view_api_migrations').insert({ name: '9999_forged', batch: 99, migration_time: new Date() }),
      ),
    ).toMatchObject(denied(/permission denied for table view_api_migrations/));
  });

  it("does not let an adapter read another adapter's outbox, only its own", async () => {
    const adapter = as('adapter_justice');
    expect(await adapter.withSchema('adapter_justice').table('outbox').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(await refusal(adapter.withSchema('adapter_health').table('outbox').select('*'))).toMatchObject(
      denied(/permission denied for schema adapter_health/),
    );
    expect(await refusal(adapter.withSchema(VIEW_SCHEMA).table(VIEW_TABLE.referrals).select('*'))).toMatchObject(
      denied(/permission denied for schema view/),
    );
  });

  it('does not let the projector touch the audit', async () => {
    const projector = as('projector');
    expect(await refusal(projector.withSchema(API_SCHEMA).table('audit').select('*'))).toMatchObject(
      denied(/permission denied for schema view_api/),
    );
    expect(await refusal(projector.withSchema(API_SCHEMA).table('audit').insert(auditRow()))).toMatchObject(
      denied(/permission denied for schema view_api/),
    );
  });

  it('lets the projector destroy a data key and write its erasure receipt, never delete one; the view API only reads them', async () => {
    const kek = testKeyEncryptionKey();
    const referralId = randomUUID();
    const withdrawal = randomUUID();
    const receipts = (db: Knex) => db.withSchema(KEY_STORE_SCHEMA).table(ERASURE_RECEIPTS_TABLE);
    const receipt = {
      withdrawal_event_id: withdrawal,
      referral_id: referralId,
      withdrawn_at: new Date(),
      view_schema: VIEW_SCHEMA,
      recorded_by: 'projector',
      view_referral_rows: 1,
      history_rows: 1,
      data_key: 'destroyed',
    };
    expect((await as('adapter_justice').transaction((trx) => dataKeyFor(trx, kek, referralId, 'JUSTICE', newDataKey))).state).toBe('live');

    expect(await as('projector').transaction((trx) => destroyDataKey(trx, referralId, withdrawal, kek.id))).toBe('destroyed');
    await receipts(as('projector')).insert(receipt);

    expect(await receipts(as('view_api')).where({ referral_id: referralId }).pluck('data_key')).toEqual(['destroyed']);
    expect(await refusal(receipts(as('view_api')).insert({ ...receipt, withdrawal_event_id: randomUUID() }))).toMatchObject(
      denied(/permission denied for table erasure_receipts/),
    );
    expect(await refusal(receipts(as('projector')).where({ referral_id: referralId }).delete())).toMatchObject(
      denied(/permission denied for table erasure_receipts/),
    );
  });

  it("does not let an adapter read another ministry's data keys, plant a tombstone or a key in another ministry's name, or touch the receipts", async () => {
    const kek = testKeyEncryptionKey();
    const keys = (db: Knex) => db.withSchema(KEY_STORE_SCHEMA).table('referral_data_keys');
    const justiceReferral = randomUUID();
    expect((await as('adapter_justice').transaction((trx) => dataKeyFor(trx, kek, justiceReferral, 'JUSTICE', newDataKey))).state).toBe(
      'live',
    );

    // Education sees none of justice's keys, not even that the referral has one.
    expect(await keys(as('adapter_education')).where({ referral_id: justiceReferral })).toEqual([]);
    expect(await keys(as('adapter_justice')).where({ referral_id: justiceReferral }).pluck('created_by')).toEqual(['JUSTICE']);
    const violation = { code: '42501', message: expect.stringMatching(/row-level security policy/) as unknown as string };
    // A tombstone would erase a subject education is no party to; a key in justice's name would claim its referral id.
    const unkeyed = randomUUID();
    expect(
      await refusal(
        keys(as('adapter_education')).insert({
          referral_id: unkeyed,
          wrapped_key: null,
          kek_id: kek.id,
          created_by: 'EDUCATION',
          destroyed_at: new Date(),
        }),
      ),
    ).toMatchObject(violation);
    expect(
      await refusal(
        keys(as('adapter_education')).insert({
          referral_id: unkeyed,
          wrapped_key: kek.wrap(unkeyed, newDataKey()),
          kek_id: kek.id,
          created_by: 'JUSTICE',
        }),
      ),
    ).toMatchObject(violation);
    expect(
      await refusal(
        keys(as('adapter_education')).insert({
          referral_id: unkeyed,
          wrapped_key: null,
          kek_id: kek.id,
          created_by: 'tombstone',
          destroyed_at: new Date(),
        }),
      ),
    ).toMatchObject(violation);
    // Receipts are the projector's: an adapter neither reads nor forges one.
    const receipts = (db: Knex) => db.withSchema(KEY_STORE_SCHEMA).table(ERASURE_RECEIPTS_TABLE);
    await receipts(as('projector')).insert({
      withdrawal_event_id: randomUUID(),
      referral_id: justiceReferral,
      withdrawn_at: new Date(),
      view_schema: VIEW_SCHEMA,
      recorded_by: 'projector',
      view_referral_rows: 0,
      history_rows: 0,
      data_key: 'destroyed',
    });
    expect(await receipts(as('adapter_justice')).where({ referral_id: justiceReferral })).toEqual([]);
    expect(
      await refusal(
        receipts(as('adapter_education')).insert({
          withdrawal_event_id: randomUUID(),
          referral_id: justiceReferral,
          withdrawn_at: new Date(),
          view_schema: VIEW_SCHEMA,
          recorded_by: 'projector',
          view_referral_rows: 1,
          history_rows: 1,
          data_key: 'destroyed',
        }),
      ),
    ).toMatchObject(violation);
    // The projector and the view API still see every key.
    expect(await keys(as('projector')).where({ referral_id: justiceReferral }).pluck('created_by')).toEqual(['JUSTICE']);
    expect(await keys(as('view_api')).where({ referral_id: justiceReferral }).pluck('created_by')).toEqual(['JUSTICE']);
  });

  it('lets no service role create, alter, truncate or drop a table, even in its own schema', async () => {
    const own: Array<[string, string, string]> = [
      ['adapter_justice', 'adapter_justice', 'outbox'],
      ['projector', VIEW_SCHEMA, VIEW_TABLE.referrals],
      ['view_api', API_SCHEMA, 'audit'],
    ];
    for (const [service, schema, table] of own) {
      const db = as(service);
      expect(await refusal(db.raw(`ALTER TABLE ${schema}.${table} ADD COLUMN smuggled text`)), service).toMatchObject(
        denied(/must be owner of table/),
      );
      expect(await refusal(db.raw(`DROP TABLE ${schema}.${table}`)), service).toMatchObject(denied(/must be owner of table/));
      expect(await refusal(db.raw(`CREATE TABLE ${schema}.smuggled (id int)`)), service).toMatchObject(
        denied(/permission denied for schema/),
      );
      expect(await refusal(db.raw(`CREATE SCHEMA smuggled_${service}`)), service).toMatchObject(denied(/permission denied for database/));
    }
    expect(await refusal(as('projector').raw(`TRUNCATE ${VIEW_SCHEMA}.${VIEW_TABLE.referrals}`))).toMatchObject(
      denied(/permission denied for table referrals/),
    );
  });

  it('gives tables the migrator creates later to the right roles, through default privileges', async () => {
    const migrator = connect(roles.migrator);
    await migrator.raw(`CREATE TABLE ${VIEW_SCHEMA}.later (id bigserial PRIMARY KEY, note text)`);
    await as('projector').withSchema(VIEW_SCHEMA).table('later').insert({ note: 'written by the projector' });
    expect(await as('view_api').withSchema(VIEW_SCHEMA).table('later').pluck('note')).toEqual(['written by the projector']);
    expect(await refusal(as('view_api').withSchema(VIEW_SCHEMA).table('later').insert({ note: 'x' }))).toMatchObject(
      denied(/permission denied for table later/),
    );
  });

  it('makes a rebuilt view schema usable by the projector and the view API before it takes the live name', async () => {
    const migrator = connect(roles.migrator);
    await migrator.raw('CREATE SCHEMA view_rebuild_test');
    await migrator.raw(`CREATE TABLE view_rebuild_test.${VIEW_TABLE.referrals} (id int)`);
    expect(await refusal(as('view_api').raw(`SELECT * FROM view_rebuild_test.${VIEW_TABLE.referrals}`))).toMatchObject(
      denied(/permission denied for schema/),
    );

    expect((await grantSchemaLike(migrator, 'view_rebuild_test', VIEW_SCHEMA)).sort()).toEqual(
      [roles.services['projector'], roles.services['view_api']].sort(),
    );

    await as('projector').raw(`INSERT INTO view_rebuild_test.${VIEW_TABLE.referrals} VALUES (1)`);
    expect((await as('view_api').raw(`SELECT id FROM view_rebuild_test.${VIEW_TABLE.referrals}`)) as { rows: unknown[] }).toMatchObject({
      rows: [{ id: 1 }],
    });
    expect(await refusal(as('adapter_justice').raw(`SELECT * FROM view_rebuild_test.${VIEW_TABLE.referrals}`))).toMatchObject(
      denied(/permission denied for schema/),
    );
    await migrator.raw('DROP SCHEMA view_rebuild_test CASCADE');
  });

  describe('the real view API, started with its role and the migrator for migrations', () => {
    let api: RunningViewApi;

    beforeAll(async () => {
      api = await start(
        viewApiConfig(urlForRole(database.url, roles.services['view_api'] ?? ''), {
          migrationDatabaseUrl: urlForRole(database.url, roles.migrator),
        }),
        { logger: quiet },
      );
    });
    afterAll(async () => {
      await api?.stop();
    });

    it('connects as the view API role and still writes the chained audit row of a person-level read', async () => {
      const before = (await admin.withSchema(API_SCHEMA).table('audit').whereNotNull('hash').orderBy('id', 'desc').first()) as
        { hash: string } | undefined;
      const token = await mintDevToken({
        secret: SECRET,
        issuer: DEFAULT_ISSUER,
        audience: DEFAULT_AUDIENCE,
        role: 'ministry',
        ministry: 'HEALTH',
      });

      const response = await fetch(`${api.url}/v1/referrals/${SEED.healthToHealth}`, { headers: { authorization: `Bearer ${token}` } });

      expect(response.status).toBe(200);
      const row = (await admin.withSchema(API_SCHEMA).table('audit').orderBy('id', 'desc').first()) as Record<string, unknown>;
      expect(row).toMatchObject({
        outcome: 'allowed',
        status: 200,
        subject: 'dev-ministry-health',
        prev_hash: before?.hash ?? GENESIS_HASH,
      });
      expect(row['hash']).toMatch(/^[0-9a-f]{64}$/);
      const sessions = (await admin.raw(
        "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'passerelle-view-api'",
      )) as { rows: { usename: string }[] };
      expect(sessions.rows.map((r) => r.usename)).toEqual([roles.services['view_api']]);
    });
  });
});
