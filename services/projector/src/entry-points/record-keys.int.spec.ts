import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_KEY_ENCRYPTION_KEY_HEX } from '@passerelle/contracts/testing';
import { createDatabase, migrate, type Knex } from '@passerelle/db';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { prepareView, start } from '../projector.ts';
import { recordKeyFingerprint, recordKeyOf, RecordKeySecretChangedError } from '../domain/record-key.ts';
import { VIEW_TABLE, MIGRATIONS_TABLE, viewMigrations } from '@passerelle/coordination-view';
import { TestTopics } from '../testing/stack-harness.ts';
import { runCli } from './cli.ts';

const stack = inject('stack');
const SCHEMA = 'view';
const FIRST = 'test-only-record-key-secret-first-0001';
const SECOND = 'test-only-record-key-secret-second-0002';
/** More than two pages of the backfill (RECORD_KEY_PAGE). */
const REFERRALS = 12_001;

let database: TestDatabase;
let db: Knex;

const keys = async () =>
  (await db(`${SCHEMA}.${VIEW_TABLE.referrals}`).orderBy('referral_id').select('referral_id', 'record_key')) as {
    referral_id: string;
    record_key: number | null;
  }[];
const fingerprint = async () =>
  ((await db(`${SCHEMA}.${VIEW_TABLE.record_key_settings}`).first('fingerprint')) as { fingerprint: string } | undefined)?.fingerprint;
const keyedWith = (secret: string, rows: { referral_id: string; record_key: number | null }[]) =>
  rows.filter((row) => row.record_key !== recordKeyOf(secret, row.referral_id));

/** `npm run projector -- <args>` in-process, with a view of this file's database and the given secret. */
async function cli(args: string[], secret: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const env = {
    DATABASE_URL: database.url,
    PASSERELLE_VIEW_SCHEMA: SCHEMA,
    PASSERELLE_RECORD_KEY_SECRET: secret,
    PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
  };
  const code = await runCli(args, env, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'projector_record_keys');
  db = createDatabase({ url: database.url, schema: SCHEMA, poolMax: 4 });
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

describe('record keys', () => {
  it('a view from before record keys gets a key for every referral when the projector starts, then the column is required and referral_counts is gone', async () => {
    await migrate(db, viewMigrations.slice(0, 2), MIGRATIONS_TABLE, SCHEMA);
    await db.raw(
      `INSERT INTO view.${VIEW_TABLE.referrals} (referral_id, status, status_changed_at, referring_ministry, receiving_service_type, service_category, region, urgency,
         consent_scope, created_event_id, created_by, requested_at, applied_events, illegal_transitions, last_event_id, last_event_at)
       SELECT gen_random_uuid(), 'REQUESTED', now(), 'JUSTICE', 'SHELTER', 'HOUSING', 'TORONTO', 'ROUTINE', 'STANDARD', e, 'JUSTICE', now(), 1, 0, e, now()
         FROM generate_series(1, ?) AS i, LATERAL (SELECT gen_random_uuid() AS e) AS created`,
      [REFERRALS],
    );
    await db('view.referral_counts').insert({
      referring_ministry: 'JUSTICE',
      region: 'TORONTO',
      service_category: 'HOUSING',
      population_group: 'all',
      referrals: REFERRALS,
    });

    const repository = await prepareView(db, SCHEMA, { recordKeySecret: FIRST });

    const rows = await keys();
    expect(rows).toHaveLength(REFERRALS);
    expect(keyedWith(FIRST, rows)).toEqual([]);
    expect(repository.recordKeyOf(rows[0]?.referral_id as string)).toBe(rows[0]?.record_key);
    expect(
      await db('information_schema.columns')
        .where({ table_schema: SCHEMA, table_name: VIEW_TABLE.referrals, column_name: 'record_key' })
        .first('is_nullable', 'data_type'),
    ).toEqual({ is_nullable: 'NO', data_type: 'bigint' });
    expect(
      (await db.raw<{ rows: { table: string | null }[] }>("SELECT to_regclass('view.referral_counts')::text AS table")).rows[0]?.table,
    ).toBeNull();
    expect(await fingerprint()).toBe(recordKeyFingerprint(FIRST));
  }, 120_000);

  it('the projector refuses to start with another secret, saying what rotating it costs and how to do it on purpose', async () => {
    const before = await keys();
    const topics = new TestTopics(stack);

    const refusal = await start(topics.config(database.url, { recordKeySecret: SECOND })).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(refusal).toBeInstanceOf(RecordKeySecretChangedError);
    const message = (refusal as Error).message;
    expect(message).toContain('PASSERELLE_RECORD_KEY_SECRET');
    expect(message).toContain('re-perturbs every published figure');
    expect(message).toContain('npm run projector -- rekey --confirm');
    expect(message).not.toContain(FIRST);
    expect(message).not.toContain(SECOND);
    expect(await keys()).toEqual(before);
    expect(await fingerprint()).toBe(recordKeyFingerprint(FIRST));
  });

  it('rekey without --confirm explains the cost and changes nothing', async () => {
    const before = await keys();

    const result = await cli(['rekey'], SECOND);

    expect(result.code).toBe(2);
    expect(result.err).toContain('re-perturbs every published figure');
    expect(result.err).toContain('npm run projector -- rekey --confirm');
    expect(await keys()).toEqual(before);
    expect(await fingerprint()).toBe(recordKeyFingerprint(FIRST));
  });

  it('rekey --confirm recomputes every key with the new secret and records its fingerprint; the projector then takes the new secret and refuses the old', async () => {
    const result = await cli(['rekey', '--confirm'], SECOND);

    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain(`rekeyed ${REFERRALS} referral(s)`);
    expect(result.out).toContain(`${recordKeyFingerprint(FIRST)} → ${recordKeyFingerprint(SECOND)}`);
    expect(keyedWith(SECOND, await keys())).toEqual([]);
    expect(await fingerprint()).toBe(recordKeyFingerprint(SECOND));
    await expect(prepareView(db, SCHEMA, { recordKeySecret: FIRST })).rejects.toBeInstanceOf(RecordKeySecretChangedError);
    await expect(prepareView(db, SCHEMA, { recordKeySecret: SECOND })).resolves.toBeDefined();
  }, 120_000);

  it('rekey --confirm with the secret the view already has changes no key', async () => {
    const before = await keys();

    const result = await cli(['rekey', '--confirm'], SECOND);

    expect(result.code).toBe(0);
    expect(result.out).toContain('already keyed with this secret');
    expect(await keys()).toEqual(before);
  });
});
