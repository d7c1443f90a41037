import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EventSerde, openSubject, RegistryClient, SEALED_PSEUDONYM_PLACEHOLDER } from '@passerelle/contracts';
import { testKeyEncryptionKey } from '@passerelle/contracts/testing';
import { readDataKeys } from '@passerelle/db';
import { readTopic } from '@passerelle/kafka';
import { createLogger } from '@passerelle/logging';
import { comparable, type AcceptedEvent } from '../domain/view-model.ts';
import { SEALED_COPY_HEADER } from '../domain/topic-seal-plan.ts';
import { readViewSnapshot } from '../data-access/view-snapshot.repository.ts';
import { minute, referral } from '../testing/event-builders.ts';
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
const referralsTopic = () => `${topics.prefix}justice.referrals.v1`;

const cli = (...args: string[]) => runProjectorCli(topics, fixture, args);

beforeAll(async () => {
  fixture = await startProjectorFixture({ topics, databasePrefix: 'projector_topics_seal' });
});

afterAll(async () => {
  await fixture?.stop();
});

describe('topics seal: referrals published with their subject in plaintext, moved to the sealed form', () => {
  // Published before sealing existed: the subject travels in plaintext.
  const kept = referral();
  const withdrawnBefore = referral();
  const events = [
    on(kept.created(minute(0))),
    on(withdrawnBefore.created(minute(1))),
    on(kept.status('RECEIVED', minute(5))),
    on(withdrawnBefore.withdrawn(minute(6), 'JUSTICE')),
  ];

  beforeAll(async () => {
    await fixture.producer.produce(events);
    await waitFor('the legacy events applied', async () => (await Promise.all(events.map((e) => applied(e.eventId)))).every(Boolean));
    // As if the withdrawal had been applied before the key store existed: no tombstone.
    await fixture.db('keystore.referral_data_keys').where({ referral_id: withdrawnBefore.referralId }).delete();
  });

  it('surveys without --confirm: names what it would seal and changes nothing', async () => {
    const before = await readTopic(topics.kafka, referralsTopic());

    const result = await cli('topics', 'seal');

    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain(`${referralsTopic()}: ${before.length} records, 2 referral(s) with a plaintext subject`);
    expect(result.out).toMatch(/2 referral\(s\) to seal: run again with --confirm/);
    expect(await readTopic(topics.kafka, referralsTopic())).toHaveLength(before.length);
  });

  it('refuses an unknown option with a usage line', async () => {
    const result = await cli('topics', 'seal', '--confrim');
    expect(result.code).toBe(2);
    expect(result.err).toContain('usage: projector topics seal');
  });

  it('with --confirm, leaves no plaintext subject on the topic; the copies open to the original values, or to nothing once consent was withdrawn', async () => {
    const viewBefore = comparable(await readViewSnapshot(fixture.db, 'view'));

    const result = await cli('topics', 'seal', '--confirm');

    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('sealed 2 referral(s)');
    const after = await readTopic(topics.kafka, referralsTopic());
    const raw = Buffer.concat(after.map((m) => m.value ?? Buffer.alloc(0)));
    expect(raw.includes(Buffer.from(kept.pseudonym))).toBe(false);
    expect(raw.includes(Buffer.from(withdrawnBefore.pseudonym))).toBe(false);
    // Records after a partition's last plaintext creation stay where they were; everything before it is a copy.
    expect(after.filter((m) => m.headers?.[SEALED_COPY_HEADER] !== undefined).length).toBeGreaterThanOrEqual(2);

    const serde = new EventSerde(new RegistryClient({ url: stack.registryUrl }));
    const decoded = await Promise.all(after.map((m) => serde.decode(m.value as Buffer)));
    const creations = decoded.flatMap((d) => (d.type === 'ReferralCreated' ? [d.payload] : []));
    expect(creations.map((c) => c.subjectPseudonym)).toEqual([SEALED_PSEUDONYM_PLACEHOLDER, SEALED_PSEUDONYM_PLACEHOLDER]);
    const keys = new Map(await readDataKeys(fixture.db, kek, [kept.referralId, withdrawnBefore.referralId]));
    const keptKey = keys.get(kept.referralId);
    expect(keptKey?.state).toBe('live');
    const keptCopy = creations.find((c) => c.referralId === kept.referralId);
    if (keptKey?.state !== 'live' || !keptCopy?.sealedSubject) throw new Error('the kept referral has no live key or no sealed copy');
    expect(openSubject(kept.referralId, keptKey.key, keptCopy.sealedSubject as Parameters<typeof openSubject>[2]).subjectPseudonym).toBe(
      kept.pseudonym,
    );
    // The referral withdrawn before the key store existed gets a tombstone, never a live key: its copy is sealed under a key nobody kept.
    expect(keys.get(withdrawnBefore.referralId)?.state).toBe('destroyed');

    // The view holds the same figures, its positions now those of the copies; history bodies are sealed.
    // The kept referral's row now keeps its subject sealed, as the projector keeps a sealed creation's.
    const viewAfter = comparable(await readViewSnapshot(fixture.db, 'view'));
    const withoutSubject = (rows: readonly object[] = []) =>
      rows.map((row) => ({ ...row, subject_pseudonym: undefined, subject_sealed: undefined }));
    expect(withoutSubject(viewAfter.referrals)).toEqual(withoutSubject(viewBefore.referrals));
    expect(await fixture.db(`view.${VIEW_TABLE.referrals}`).where({ referral_id: kept.referralId }).first()).toMatchObject({
      subject_pseudonym: null,
      subject_sealed: keptCopy.sealedSubject,
    });
    const leaked = await fixture.db.raw<{ rows: { n: number }[] }>(
      `SELECT count(*)::int AS n FROM view.${VIEW_TABLE.referral_history} t WHERE t::text LIKE ?`,
      [`%${kept.pseudonym}%`],
    );
    expect(leaked.rows[0]?.n).toBe(0);
  });

  it('a second run finds nothing to do', async () => {
    const before = await readTopic(topics.kafka, referralsTopic());

    const result = await cli('topics', 'seal', '--confirm');

    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('no plaintext subject on the');
    expect(await readTopic(topics.kafka, referralsTopic())).toHaveLength(before.length);
  });

  it('a rebuild from the sealed topics gives the view the projector had', async () => {
    const report = await runRebuild(fixture.config, {
      expectIdentical: true,
      logger: createLogger({ service: 'rebuild-test', level: 'silent' }),
    });

    expect(report.identical).toBe(true);
    expect(await fixture.db(`view.${VIEW_TABLE.referrals}`).where({ referral_id: kept.referralId }).first()).toMatchObject({
      subject_pseudonym: null,
      subject_sealed: { algorithm: 'AES_256_GCM' },
      status: 'RECEIVED',
    });
  });

  it('erasure verify passes for the withdrawn referral once its plaintext copies are gone', async () => {
    const result = await cli('erasure', 'verify', withdrawnBefore.referralId);

    expect(result.code, result.out).toBe(0);
  });
});
