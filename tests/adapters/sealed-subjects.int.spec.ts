import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Acceptance, Pseudonymiser, acceptanceMigrations, type AcceptanceRequest, type NativeRecord } from '@passerelle/adapter';
import { LogCapture, testAdapterConfig, testSecret } from '@passerelle/adapter/testing';
import * as justice from '@passerelle/adapter-justice';
import {
  KeyEncryptionKey,
  NO_POPULATION_FLAGS,
  SEALED_PSEUDONYM_PLACEHOLDER,
  openSubject,
  type DecodedEvent,
  type SealedSubject,
} from '@passerelle/contracts';
import { sampleEvents, testKeyEncryptionKey } from '@passerelle/contracts/testing';
import {
  DATA_KEYS_TABLE,
  KEY_STORE_SCHEMA,
  createDatabase,
  destroyDataKey,
  migrate,
  migrateKeyStore,
  readDataKeys,
  type Knex,
} from '@passerelle/db';
import { ProblemError } from '@passerelle/http';
import { outboxMigrations } from '@passerelle/kafka';
import { createTestDatabase, kafkaOptionsFor, type TestDatabase } from '@passerelle/testing';
import { countRows } from './adapter-harness.ts';

/**
 * Crypto-shredding at the adapter: a referral's subject pseudonym and population flags reach the
 * outbox only sealed under the referral's data key, made in the accepting transaction; a referral
 * whose key was destroyed (consent withdrawn) cannot be created again. Driven through Acceptance
 * on a real database without a relay, so the outbox rows are read exactly as written.
 */
const stack = inject('stack');
type ReferralCreated = Extract<DecodedEvent, { type: 'ReferralCreated' }>['payload'];
const SCHEMA = 'adapter_education';
const kek = testKeyEncryptionKey();
const pseudonymiser = new Pseudonymiser(testSecret());
const NO_TRACE = { traceparent: null, tracestate: null };
let database: TestDatabase;
let db: Knex;
let acceptance: Acceptance;

const canaryOf = (what: string): string => `${what}-${randomBytes(4).toString('hex')}`;

/** A native referral of the education adapter, its pseudonym keyed from a student number as a mapper would. */
function referral(
  reference: string,
  studentNumber: string,
  flags = sampleEvents('EDUCATION').ReferralCreated.populationFlags,
): NativeRecord & { pseudonym: string } {
  const pseudonym = pseudonymiser.person('ontario-education-number', studentNumber);
  return {
    pseudonym,
    sourceKey: `referral|${reference}`,
    content: { reference, studentNumber, flags },
    build: async (ids) => {
      const referralId = await ids.idFor('referral', reference);
      const sample = sampleEvents('EDUCATION').ReferralCreated;
      return [
        {
          type: 'ReferralCreated',
          payload: {
            ...sample,
            envelope: { ...sample.envelope, correlationId: referralId },
            referralId,
            subjectPseudonym: pseudonym,
            populationFlags: flags,
          },
        },
      ];
    },
  };
}

/**
 * A consent withdrawal naming a referral by its source id that allocates the referral id when it is
 * new, as adapters did before refusing dangling references (routes now use `createdIdFor`): the
 * rows such a withdrawal left behind still exist in installations that ran them.
 */
function withdrawal(reference: string): NativeRecord {
  return {
    sourceKey: `consent|${reference}`,
    content: { reference, withdrawn: true },
    build: async (ids) => {
      const referralId = await ids.idFor('referral', reference);
      const sample = sampleEvents('EDUCATION').ConsentWithdrawn;
      return [
        { type: 'ConsentWithdrawn', payload: { ...sample, envelope: { ...sample.envelope, correlationId: referralId }, referralId } },
      ];
    },
  };
}

const request = (records: readonly NativeRecord[], extra: Partial<AcceptanceRequest> = {}): AcceptanceRequest => ({
  route: '/referrals',
  content: records.map((record) => record.content),
  records,
  trace: NO_TRACE,
  ...extra,
});

async function refusal(promise: Promise<unknown>): Promise<ProblemError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(ProblemError);
  return outcome as ProblemError;
}

const outboxRow = async (eventId: string): Promise<{ payload: ReferralCreated; text: string }> => {
  const row = (await db
    .withSchema(SCHEMA)
    .table('outbox')
    .where({ event_id: eventId })
    .first('payload', db.raw('outbox::text AS text'))) as { payload: ReferralCreated; text: string };
  return row;
};
const keyRows = async (): Promise<Array<{ referral_id: string; wrapped_key: string | null; created_by: string; kek_id: string }>> =>
  (await db.withSchema(KEY_STORE_SCHEMA).table(DATA_KEYS_TABLE).select('*')) as Array<{
    referral_id: string;
    wrapped_key: string | null;
    created_by: string;
    kek_id: string;
  }>;
const referralIdOf = async (eventId: string): Promise<string> => (await outboxRow(eventId)).payload.referralId;

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'adapters_sealed_subjects');
  db = createDatabase({ url: database.url, schema: SCHEMA });
  await migrate(db, [...outboxMigrations, ...acceptanceMigrations], 'adapter_migrations', SCHEMA);
  await migrateKeyStore(db);
  acceptance = new Acceptance({ db, ministry: 'EDUCATION', pseudonymiser, keyEncryptionKey: kek });
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

describe('an accepted referral leaves its subject only sealed', () => {
  it('writes the placeholders in the outbox and the real pseudonym and flags sealed under a data key of that referral, which opens with the key store’s key', async () => {
    const flags = { ...NO_POPULATION_FLAGS, indigenous: true, youthInOrLeavingCare: false, migrantWorkers: true };
    const record = referral(canaryOf('TDSB-SEAL'), canaryOf('OEN'), flags);

    const result = await acceptance.accept(request([record]));

    const eventId = result.body.events[0]?.eventId ?? '';
    const { payload } = await outboxRow(eventId);
    expect(payload.subjectPseudonym).toBe(SEALED_PSEUDONYM_PLACEHOLDER);
    expect(payload.populationFlags).toEqual(NO_POPULATION_FLAGS);
    expect(payload.sealedSubject).toMatchObject({ algorithm: 'AES_256_GCM' });
    const [[, dataKey]] = (await readDataKeys(db, kek, [payload.referralId])) as [[string, { state: string; key?: Buffer }]];
    expect(dataKey.state).toBe('live');
    expect(openSubject(payload.referralId, dataKey.key as Buffer, payload.sealedSubject as SealedSubject)).toEqual({
      subjectPseudonym: record.pseudonym,
      populationFlags: flags,
    });
    expect((await keyRows()).find((row) => row.referral_id === payload.referralId)).toMatchObject({
      created_by: 'EDUCATION',
      kek_id: kek.id,
    });
  });

  it('keeps the pseudonym and every identifier of the native record out of the outbox row’s bytes (canary)', async () => {
    const reference = canaryOf('TDSB-CANARY');
    const studentNumber = canaryOf('OEN-CANARY');
    const record = referral(reference, studentNumber);

    const result = await acceptance.accept(request([record]));

    const { text } = await outboxRow(result.body.events[0]?.eventId ?? '');
    expect(text).toContain(SEALED_PSEUDONYM_PLACEHOLDER);
    for (const value of [record.pseudonym, reference, studentNumber]) expect(text).not.toContain(value);
    const stored =
      JSON.stringify(await db.withSchema(SCHEMA).table('idempotency_keys').select('*')) +
      JSON.stringify(await db.withSchema(SCHEMA).table('source_ids').select('*')) +
      JSON.stringify(await keyRows());
    for (const value of [record.pseudonym, reference, studentNumber]) expect(stored).not.toContain(value);
  });

  it('leaves other events as they were mapped', async () => {
    const result = await acceptance.accept(request([withdrawal(canaryOf('TDSB-OTHER'))]));

    const row = (await db
      .withSchema(SCHEMA)
      .table('outbox')
      .where({ event_id: result.body.events[0]?.eventId ?? '' })
      .first('event_type', 'payload')) as { event_type: string; payload: Record<string, unknown> };
    expect(row.event_type).toBe('ConsentWithdrawn');
    expect(row.payload).not.toHaveProperty('sealedSubject');
  });

  it('creates a referral’s data key with its outbox row or not at all: a request refused for another reason leaves no key', async () => {
    const accepted = referral(canaryOf('TDSB-FIRST'), canaryOf('OEN'));
    await acceptance.accept(request([accepted]));
    const keysBefore = await keyRows();
    const countsBefore = await countRows(db, SCHEMA);

    // A new referral, then the first one again with different content (a conflict): the whole request rolls back.
    const refused = await refusal(
      acceptance.accept(request([referral(canaryOf('TDSB-NEW'), canaryOf('OEN')), { ...accepted, content: { changed: true } }])),
    );

    expect(refused.status).toBe(409);
    expect(await keyRows()).toEqual(keysBefore);
    expect(await countRows(db, SCHEMA)).toEqual(countsBefore);
  });
});

describe('a referral whose data key was destroyed', () => {
  it('cannot be created any more: 409 without personal data, nothing written, every time it is sent', async () => {
    // Consent withdrawn before the creation arrived (an older adapter's row): the withdrawal allocated the referral id and the projector tombstoned its key.
    const reference = canaryOf('TDSB-WITHDRAWN');
    const studentNumber = canaryOf('OEN-WITHDRAWN');
    const withdrawn = await acceptance.accept(request([withdrawal(reference)]));
    const referralId = await db
      .withSchema(SCHEMA)
      .table('outbox')
      .where({ event_id: withdrawn.body.events[0]?.eventId ?? '' })
      .first('payload')
      .then((row: { payload: { referralId: string } }) => row.payload.referralId);
    await db.transaction((trx) => destroyDataKey(trx, referralId, withdrawn.body.events[0]?.eventId ?? '', kek.id));
    const keysBefore = await keyRows();
    const countsBefore = await countRows(db, SCHEMA);
    const record = referral(reference, studentNumber);

    for (const attempt of [request([record]), request([record]), request([record], { idempotencyKey: 'withdrawn-1' })]) {
      const refused = await refusal(acceptance.accept(attempt));

      expect(refused.status).toBe(409);
      expect(refused.message).toMatch(/consent was withdrawn/);
      expect(refused.errors).toEqual([{ field: 'body', reason: 'consent to share this referral was withdrawn' }]);
      const answer = JSON.stringify({ message: refused.message, errors: refused.errors, extra: refused.extra });
      for (const value of [referralId, reference, studentNumber, record.pseudonym]) expect(answer).not.toContain(value);
    }
    expect(await countRows(db, SCHEMA)).toEqual(countsBefore);
    expect(await keyRows()).toEqual(keysBefore);
    expect(keysBefore.find((row) => row.referral_id === referralId)?.wrapped_key).toBeNull();
  });

  it('refuses a whole batch in which it appears, writing nothing for the other rows either', async () => {
    const reference = canaryOf('TDSB-WITHDRAWN-BATCH');
    const withdrawn = await acceptance.accept(request([withdrawal(reference)]));
    const referralId = (await outboxRow(withdrawn.body.events[0]?.eventId ?? '')).payload.referralId;
    await db.transaction((trx) => destroyDataKey(trx, referralId, withdrawn.body.events[0]?.eventId ?? '', kek.id));
    const keysBefore = await keyRows();
    const countsBefore = await countRows(db, SCHEMA);

    const refused = await refusal(
      acceptance.accept(
        request([
          { ...referral(canaryOf('TDSB-FINE'), canaryOf('OEN')), label: 'row 2', row: 2 },
          { ...referral(reference, canaryOf('OEN')), label: 'row 3', row: 3 },
        ]),
      ),
    );

    expect(refused.status).toBe(409);
    expect(refused.errors).toEqual([{ field: 'row 3', reason: 'consent to share this referral was withdrawn' }]);
    expect(await countRows(db, SCHEMA)).toEqual(countsBefore);
    expect(await keyRows()).toEqual(keysBefore);
  });

  it('still answers a replay of its creation, accepted before the withdrawal, with the original answer and writes nothing', async () => {
    const record = referral(canaryOf('TDSB-REPLAY'), canaryOf('OEN'));
    const first = await acceptance.accept(request([record], { idempotencyKey: 'replay-after-withdrawal' }));
    const referralId = await referralIdOf(first.body.events[0]?.eventId ?? '');
    await db.transaction((trx) => destroyDataKey(trx, referralId, first.body.events[0]?.eventId ?? '', kek.id));
    const countsBefore = await countRows(db, SCHEMA);

    const byRecord = await acceptance.accept(request([record]));
    const byKey = await acceptance.accept(request([record], { idempotencyKey: 'replay-after-withdrawal' }));

    expect(byRecord).toEqual({ status: 202, replayed: true, body: first.body });
    expect(byKey).toEqual({ status: 202, replayed: true, body: first.body });
    expect(await countRows(db, SCHEMA)).toEqual(countsBefore);
  });
});

describe('an adapter started with another key-encryption key than the key store’s', () => {
  it('refuses to start, naming both keys by id and neither by value, and starts with the right one', async () => {
    await acceptance.accept(request([referral(canaryOf('TDSB-KEK'), canaryOf('OEN'))]));
    const otherHex = 'ab'.repeat(32);
    const other = KeyEncryptionKey.fromHex(otherHex);
    const config = (keyEncryptionKey: KeyEncryptionKey) =>
      testAdapterConfig(
        { ...stack, databaseUrl: database.url },
        {
          databaseSchema: 'adapter_justice',
          keyEncryptionKey,
          logLevel: 'silent',
          kafkaSasl: kafkaOptionsFor(stack, 'justice', 'adapter-justice').sasl,
        },
      );

    const refused = await justice.start(config(other), { logDestination: new LogCapture() }).then(
      (running) => running.stop().then(() => undefined),
      (error: unknown) => error as Error,
    );
    const running = await justice.start(config(kek), { logDestination: new LogCapture() });
    await running.stop();

    expect(refused?.message).toContain(`wrapped under key-encryption key ${kek.id}, PASSERELLE_KEY_ENCRYPTION_KEY is key ${other.id}`);
    expect(refused?.message).not.toContain(otherHex);
  });
});
