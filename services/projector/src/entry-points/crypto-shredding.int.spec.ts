import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newDataKey, openSubject, SEALED_PSEUDONYM_PLACEHOLDER, type SealedSubject } from '@passerelle/contracts';
import { testKeyEncryptionKey } from '@passerelle/contracts/testing';
import { dataKeyFor, DATA_KEYS_TABLE, ERASURE_RECEIPTS_TABLE, KEY_STORE_SCHEMA, readDataKeys } from '@passerelle/db';
import { createLogger } from '@passerelle/logging';
import { applyEvents } from '../domain/apply-events.ts';
import { comparable, type AcceptedEvent } from '../domain/view-model.ts';
import { readViewSnapshot } from '../data-access/view-snapshot.repository.ts';
import { ViewRepository } from '../data-access/view.repository.ts';
import { minute, referral } from '../testing/event-builders.ts';
import { testRecordKeys } from '../testing/record-keys.ts';
import { runProjectorCli, startProjectorFixture, TestTopics, waitFor, type ProjectorFixture } from '../testing/stack-harness.ts';
import { runRebuild } from './rebuild.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

const stack = inject('stack');
const topics = new TestTopics(stack);
const kek = testKeyEncryptionKey();
let fixture: ProjectorFixture;

const on = <T extends AcceptedEvent>(event: T): T => ({
  ...event,
  position: { ...event.position, topic: `${topics.prefix}${event.position.topic}` },
});
const applied = async (eventId: string) =>
  (await fixture.db(`view.${VIEW_TABLE.processed_events}`).where({ event_id: eventId })).length === 1;
const deadLettered = async (eventId: string) =>
  (await fixture.db(`view.${VIEW_TABLE.dead_letters}`).where({ event_id: eventId }).first('reason_code')) as
    { reason_code: string } | undefined;
/** The pseudonym a person-level answer would give: the view keeps it sealed, opened with the live key (the view API's way). */
async function openedPseudonym(referralId: string): Promise<string | null> {
  const sealed = (await viewRow(referralId))?.['subject_sealed'] as SealedSubject | null | undefined;
  const [entry] = await readDataKeys(fixture.db, kek, [referralId]);
  return sealed && entry?.[1].state === 'live' ? openSubject(referralId, entry[1].key, sealed).subjectPseudonym : null;
}
const viewRow = async (referralId: string) =>
  (await fixture.db(`view.${VIEW_TABLE.referrals}`).where({ referral_id: referralId }).first()) as Record<string, unknown> | undefined;
const keyRow = async (referralId: string) =>
  (await fixture.db.withSchema(KEY_STORE_SCHEMA).table(DATA_KEYS_TABLE).where({ referral_id: referralId }).first()) as
    Record<string, unknown> | undefined;
const receipts = async (referralId: string) =>
  (await fixture.db.withSchema(KEY_STORE_SCHEMA).table(ERASURE_RECEIPTS_TABLE).where({ referral_id: referralId })) as Record<
    string,
    unknown
  >[];
const createdHistory = async (referralId: string) =>
  (
    (await fixture
      .db(`view.${VIEW_TABLE.referral_history}`)
      .where({ referral_id: referralId, event_type: 'ReferralCreated' })
      .select('payload')) as { payload: Record<string, unknown> }[]
  ).map((row) => row.payload);

/** The data key an adapter creates with the referral's outbox row. */
async function createKey(referralId: string): Promise<Buffer> {
  const key = newDataKey();
  const state = await fixture.db.transaction((trx) => dataKeyFor(trx, kek, referralId, 'JUSTICE', () => key));
  if (state.state !== 'live') throw new Error(`no live key: ${state.state}`);
  return state.key;
}

const verify = (...args: string[]) => runProjectorCli(topics, fixture, ['erasure', 'verify', ...args]);

beforeAll(async () => {
  fixture = await startProjectorFixture({ topics, databasePrefix: 'projector_shredding' });
});

afterAll(async () => {
  await fixture?.stop();
});

describe('crypto-shredding of a referral’s subject', () => {
  const person = referral();
  const other = referral();
  let created: AcceptedEvent<'ReferralCreated'>;
  const withdrawal = on(person.withdrawn(minute(30), 'HEALTH'));
  const outsiderWithdrawal = on(person.withdrawn(minute(20), 'EDUCATION'));

  it('a sealed creation gives the view the real pseudonym and flags, while the history keeps only the placeholders and the sealed value', async () => {
    created = on(person.sealedCreated(await createKey(person.referralId), minute(0)));
    const otherCreated = on(other.sealedCreated(await createKey(other.referralId), minute(1)));

    await fixture.producer.produce([created, otherCreated, on(person.status('RECEIVED', minute(5)))]);
    await waitFor('the creations applied', async () => (await applied(created.eventId)) && (await applied(otherCreated.eventId)));
    await waitFor('the status change applied', async () => (await viewRow(person.referralId))?.['status'] === 'RECEIVED');

    expect(await viewRow(person.referralId)).toMatchObject({
      subject_pseudonym: null,
      subject_sealed: { algorithm: 'AES_256_GCM' },
      indigenous: true,
      young_women: true,
      youth_in_or_leaving_care: false,
      youth_at_risk: null,
      status: 'RECEIVED',
    });
    expect(await openedPseudonym(person.referralId)).toBe(person.pseudonym);
    const inRows = await fixture.db.raw<{ rows: { n: number }[] }>(
      `SELECT count(*)::int AS n FROM view.${VIEW_TABLE.referrals} t WHERE t::text LIKE ?`,
      [`%${person.pseudonym}%`],
    );
    expect(inRows.rows[0]?.n).toBe(0);
    const [history] = await createdHistory(person.referralId);
    expect(history).toMatchObject({
      subjectPseudonym: SEALED_PSEUDONYM_PLACEHOLDER,
      populationFlags: { indigenous: null, youngWomen: null, youthInOrLeavingCare: null },
      sealedSubject: { algorithm: 'AES_256_GCM' },
    });
    const leaked = await fixture.db.raw<{ rows: { n: number }[] }>(
      `SELECT count(*)::int AS n FROM view.${VIEW_TABLE.referral_history} t WHERE t::text LIKE ?`,
      [`%${person.pseudonym}%`],
    );
    expect(leaked.rows[0]?.n).toBe(0);
  });

  it('erasure verify exits 1 while the key is live and the view holds the pseudonym, naming the places, never the value', async () => {
    const result = await verify(person.referralId);

    expect(result.code, result.err).toBe(1);
    expect(result.out).toContain('keystore.referral_data_keys: 1 × live data key');
    expect(result.out).toContain(`view.${VIEW_TABLE.referrals}: 1 ×`);
    expect(result.out).toMatch(/view\.referral_history: 1 × sealed subject that the referral's live data key opens/);
    expect(result.out).toMatch(/justice\.referrals\.v1: 1 × sealed subject/);
    expect(result.out).toContain('scanning topic');
    expect(result.out).not.toContain(person.pseudonym);
  });

  it('a withdrawal by a ministry that is not a party destroys nothing and writes no receipt', async () => {
    await fixture.producer.produce([outsiderWithdrawal]);
    await waitFor('the outsider’s withdrawal applied', () => applied(outsiderWithdrawal.eventId));

    expect(await keyRow(person.referralId)).toMatchObject({ destroyed_at: null });
    expect((await keyRow(person.referralId))?.['wrapped_key']).not.toBeNull();
    expect(await receipts(person.referralId)).toEqual([]);
    expect(await viewRow(person.referralId)).toMatchObject({ indigenous: true });
    expect(await openedPseudonym(person.referralId)).toBe(person.pseudonym);
  });

  it('a party’s withdrawal destroys the key and writes one receipt with the purge, once however often the batch is replayed', async () => {
    await fixture.producer.produce([withdrawal]);
    await waitFor('the withdrawal applied', () => applied(withdrawal.eventId));
    // The batch again, as a redelivery after a crash between the commit and the offsets: a duplicate.
    const replaying = new ViewRepository(fixture.db, 'view', testRecordKeys, { keyEncryptionKey: kek });
    const replay = await applyEvents(replaying, [withdrawal], [], Date.now());

    expect(replay.duplicates).toHaveLength(1);
    expect(await keyRow(person.referralId)).toMatchObject({ wrapped_key: null, destroyed_by_event: withdrawal.eventId });
    const written = await receipts(person.referralId);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      withdrawal_event_id: withdrawal.eventId,
      view_schema: 'view',
      recorded_by: 'projector',
      view_referral_rows: 1,
      history_rows: 1,
      data_key: 'destroyed',
    });
    expect((written[0]?.['withdrawn_at'] as Date).getTime()).toBe(minute(30));
    expect(JSON.stringify(written)).not.toContain(person.pseudonym);
    expect(await viewRow(person.referralId)).toMatchObject({
      subject_pseudonym: null,
      subject_sealed: null,
      indigenous: null,
      young_women: null,
      youth_in_or_leaving_care: null,
      status: 'RECEIVED',
      region: 'NORTH_WEST',
    });
    // The history's sealed copy is gone, and the one on the topic no longer opens.
    expect((await createdHistory(person.referralId))[0]).not.toHaveProperty('sealedSubject');
    expect(await openedPseudonym(other.referralId)).toBe(other.pseudonym);
  });

  it('erasure verify exits 0 once the party’s withdrawal is applied, and shows the receipt', async () => {
    const result = await verify(person.referralId);

    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain('data key of referral');
    expect(result.out).toContain(`erasure receipt: withdrawal ${withdrawal.eventId}`);
    expect(result.out).toMatch(/nothing of the subject of referral .* can be read/);
  });

  it('a sealed creation without a data key, with a damaged one, or whose sealed value was tampered with, is a dead letter and changes nothing; the partition goes on', async () => {
    const ghost = referral();
    const forged = referral();
    const damaged = referral();
    const ghostCreated = on(ghost.sealedCreated(newDataKey(), minute(2)));
    // A key row naming the right KEK whose wrapped value does not unwrap (damaged, or forged by a role that may insert).
    const damagedCreated = on(damaged.sealedCreated(newDataKey(), minute(2)));
    await fixture.db
      .withSchema(KEY_STORE_SCHEMA)
      .table(DATA_KEYS_TABLE)
      .insert({
        referral_id: damaged.referralId,
        wrapped_key: Buffer.alloc(60, 1).toString('base64'),
        kek_id: kek.id,
        created_by: 'JUSTICE',
      });
    const genuine = on(forged.sealedCreated(await createKey(forged.referralId), minute(3)));
    const sealed = genuine.payload.sealedSubject as { ciphertext: string };
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    bytes[0] = (bytes[0] as number) ^ 0xff;
    const tampered = {
      ...genuine,
      payload: { ...genuine.payload, sealedSubject: { ...genuine.payload.sealedSubject, ciphertext: bytes.toString('base64') } },
    } as AcceptedEvent<'ReferralCreated'>;

    await fixture.producer.produce([ghostCreated, tampered, damagedCreated]);
    await waitFor(
      'all three dead-lettered',
      async () =>
        (await deadLettered(ghostCreated.eventId)) &&
        (await deadLettered(tampered.eventId)) &&
        (await deadLettered(damagedCreated.eventId)),
    );
    expect(await deadLettered(damagedCreated.eventId)).toEqual({ reason_code: 'sealed_subject_unreadable' });

    expect(await deadLettered(ghostCreated.eventId)).toEqual({ reason_code: 'sealed_subject_unreadable' });
    expect(await deadLettered(tampered.eventId)).toEqual({ reason_code: 'sealed_subject_unreadable' });
    expect(await viewRow(ghost.referralId)).toBeUndefined();
    expect(await viewRow(forged.referralId)).toBeUndefined();
  });

  it('a rebuild after the withdrawal gives the same view: the referral counted without pseudonym or flags, the other still readable, the receipt kept', async () => {
    const before = comparable(await readViewSnapshot(fixture.db, 'view'));

    const report = await runRebuild(fixture.config, {
      expectIdentical: true,
      logger: createLogger({ service: 'rebuild-test', level: 'silent' }),
    });

    expect(report.switched).toBe(true);
    expect(report.identical).toBe(true);
    expect(comparable(await readViewSnapshot(fixture.db, 'view'))).toEqual(before);
    expect(await viewRow(person.referralId)).toMatchObject({
      subject_pseudonym: null,
      subject_sealed: null,
      indigenous: null,
      status: 'RECEIVED',
      consent_withdrawn_at: new Date(minute(30)),
    });
    expect(await viewRow(other.referralId)).toMatchObject({ indigenous: true });
    expect(await openedPseudonym(other.referralId)).toBe(other.pseudonym);
    expect(await receipts(person.referralId)).toMatchObject([
      { withdrawal_event_id: withdrawal.eventId, recorded_by: 'projector', data_key: 'destroyed' },
    ]);
    expect((await verify(person.referralId)).code).toBe(0);
    expect((await verify(other.referralId)).code).toBe(1);
  });

  it('erasure verify finds a legacy plaintext creation on a topic and a creation left in an adapter outbox, and says how to migrate the topic', async () => {
    const legacy = referral();
    const legacyCreated = on(legacy.created(minute(4)));
    await fixture.producer.produce([legacyCreated]);
    await waitFor('the legacy creation applied', () => applied(legacyCreated.eventId));
    const sealedLeftover = referral();
    const leftover = sealedLeftover.sealedCreated(await createKey(sealedLeftover.referralId), minute(5));
    await fixture.db.raw('CREATE SCHEMA IF NOT EXISTS adapter_verify_test');
    await fixture.db.raw(
      'CREATE TABLE IF NOT EXISTS adapter_verify_test.outbox (id bigserial PRIMARY KEY, event_type text, message_key text, payload jsonb)',
    );
    await fixture.db
      .withSchema('adapter_verify_test')
      .table('outbox')
      .insert([
        {
          event_type: 'ReferralCreated',
          message_key: sealedLeftover.referralId,
          payload: JSON.stringify({ type: 'ReferralCreated', payload: leftover.payload }),
        },
        { event_type: 'ReferralCreated', message_key: legacy.referralId, payload: '{}' },
      ]);

    const plain = await verify(legacy.referralId);
    const outboxed = await verify(sealedLeftover.referralId);

    expect(plain.code).toBe(1);
    expect(plain.out).toMatch(
      /justice\.referrals\.v1: 1 × plaintext pseudonym or population flags \(a legacy event: migrate it with `topics seal`\)/,
    );
    expect(plain.out).toMatch(/view\.referrals: 1 ×/);
    expect(plain.out).not.toContain('adapter_verify_test.outbox');
    expect(plain.out).not.toContain(legacy.pseudonym);
    expect(outboxed.code).toBe(1);
    expect(outboxed.out).toContain("adapter_verify_test.outbox: 1 × sealed subject that the referral's live data key opens");
  });

  it('erasure verify finds a plaintext creation of the referral sent under another message key', async () => {
    const hidden = referral();
    const created = on(hidden.created(minute(6)));
    await fixture.producer.sendRaw(created.position.topic, 'not-the-referral-id', await fixture.producer.encode(created));
    await waitFor('the mis-keyed creation applied', () => applied(created.eventId));

    const result = await verify(hidden.referralId);

    expect(result.code).toBe(1);
    expect(result.out).toMatch(/justice\.referrals\.v1: 1 × plaintext pseudonym or population flags/);
    expect(result.out).not.toContain(hidden.pseudonym);
  });

  it('erasure verify refuses what is not a referral id with exit 2 and says what it expects', async () => {
    for (const args of [['not-a-uuid'], [], [`${person.referralId}'; DROP TABLE x`], [person.referralId, 'extra']]) {
      const result = await verify(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err).toMatch(/referral/);
    }
    expect((await verify('not-a-uuid')).err).toContain('expected one UUID');
  });
});
