import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Acceptance, Pseudonymiser, acceptanceMigrations, type NativeRecord } from '@passerelle/adapter';
import { testSecret } from '@passerelle/adapter/testing';
import { sampleEvents, testKeyEncryptionKey } from '@passerelle/contracts/testing';
import { createDatabase, migrate, migrateKeyStore, type Knex } from '@passerelle/db';
import { ProblemError } from '@passerelle/http';
import { outboxMigrations } from '@passerelle/kafka';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { countRows } from './adapter-harness.ts';

/**
 * The acceptance guard against writes that are not the adapter's own, in a real database: no
 * route lets a ministry create a referral in another's name (the mappers name their own ministry),
 * so the guard is driven here with a record whose mapping does, as a mapping change could.
 */
const stack = inject('stack');
const SCHEMA = 'adapter_own_writes';
let database: TestDatabase;
let db: Knex;
let acceptance: Acceptance;

const NO_TRACE = { traceparent: null, tracestate: null };

/** A native record of the education adapter whose mapping yields `referringMinistry` on a ReferralCreated. */
function referralRecord(reference: string, referringMinistry: 'EDUCATION' | 'JUSTICE'): NativeRecord {
  return {
    sourceKey: `referral|${reference}`,
    content: { reference, referringMinistry },
    build: async (ids) => {
      const referralId = await ids.idFor('referral', `referral|${reference}`);
      const sample = sampleEvents('EDUCATION').ReferralCreated;
      return [
        {
          type: 'ReferralCreated',
          payload: { ...sample, envelope: { ...sample.envelope, correlationId: referralId }, referralId, referringMinistry },
        },
      ];
    },
  };
}

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'adapters_own_writes');
  db = createDatabase({ url: database.url, schema: SCHEMA });
  await migrate(db, [...outboxMigrations, ...acceptanceMigrations], 'adapter_migrations', SCHEMA);
  await migrateKeyStore(db);
  acceptance = new Acceptance({
    db,
    ministry: 'EDUCATION',
    pseudonymiser: new Pseudonymiser(testSecret()),
    keyEncryptionKey: testKeyEncryptionKey(),
  });
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

describe('an adapter refuses what it can know is not its own', () => {
  it('answers 403 to a referral created in another referring ministry’s name and writes nothing: no outbox row, no idempotency record, no referral id', async () => {
    const refused = await acceptance
      .accept({
        route: '/referrals',
        idempotencyKey: 'forged-1',
        content: { forged: true },
        records: [referralRecord('B-0001', 'JUSTICE')],
        trace: NO_TRACE,
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(refused).toBeInstanceOf(ProblemError);
    expect((refused as ProblemError).status).toBe(403);
    expect(await countRows(db, SCHEMA)).toEqual({ outbox: 0, idempotency: 0, sourceIds: 0 });
  });

  it('accepts the same record naming its own ministry (the refusal above is about whose referral it is)', async () => {
    const result = await acceptance.accept({
      route: '/referrals',
      content: { own: true },
      records: [referralRecord('B-0002', 'EDUCATION')],
      trace: NO_TRACE,
    });

    expect(result.status).toBe(202);
    expect(await countRows(db, SCHEMA)).toEqual({ outbox: 1, idempotency: 1, sourceIds: 1 });
  });
});
