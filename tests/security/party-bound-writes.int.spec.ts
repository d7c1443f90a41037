import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Knex } from 'knex';
import { post } from '@passerelle/adapter/testing';
import { EventSerde, RegistryClient, SEALED_PSEUDONYM_PLACEHOLDER } from '@passerelle/contracts';
import { TEST_KEY_ENCRYPTION_KEY_HEX, sampleEvents } from '@passerelle/contracts/testing';
import { DEAD_LETTER_HEADERS, createIdempotentProducer, createKafka } from '@passerelle/kafka';
import { loadConfig, start, type RunningProjector } from '@passerelle/projector';
import { createTestDatabase, kafkaEnvFor, kafkaOptionsFor, waitFor, type TestDatabase } from '@passerelle/testing';
import {
  eventIdsOf,
  openDatabase,
  startAdapters,
  stopAdapters,
  type AdapterName,
  type StartedAdapter,
} from '../adapters/adapter-harness.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/**
 * Only the parties to a referral write about it, through the real stack: the adapters publish
 * with their ministries' own SCRAM credentials to the real ministry topics, the projector reads
 * them as the projector principal (its own group and database) and dead-letters to the real
 * dead-letter topic. The projector's group starts at the topics' current ends, so it folds only
 * what this file sends (and what other files send meanwhile, into its own database).
 */
const stack = inject('stack');
const REFERRAL_TOPICS = ['justice.referrals.v1', 'health.referrals.v1', 'education.referrals.v1'];
const DEAD_LETTER_TOPIC = 'passerelle.dead-letter.v1';
const FHIR = 'https://passerelle.ontario.example/fhir';
/** Under the test timeout, so a wait that fails says what it waited for. */
const WAIT_MS = 45_000;
const admin = createKafka(kafkaOptionsFor(stack, 'admin', 'party-writes-test'));

let database: TestDatabase;
let db: Knex;
let adapters: Record<AdapterName, StartedAdapter>;
let projector: RunningProjector;
let deadLetterStart: { partition: number; offset: string }[];

const processed = async (eventIds: readonly string[]) =>
  (await db(`view.${VIEW_TABLE.processed_events}`).whereIn('event_id', [...eventIds])).length === eventIds.length;
const referralRow = async (referralId: string) =>
  (await db(`view.${VIEW_TABLE.referrals}`).where({ referral_id: referralId }).first()) as Record<string, unknown> | undefined;

/** A consumer group that starts at the current end of `topics` (admin sets its offsets before anyone joins). */
async function groupAtTopicEnds(groupId: string, topics: readonly string[]): Promise<void> {
  const client = admin.admin();
  await client.connect();
  try {
    for (const topic of topics) {
      const ends = await client.fetchTopicOffsets(topic);
      await client.setOffsets({ groupId, topic, partitions: ends.map(({ partition, high }) => ({ partition, offset: high })) });
    }
  } finally {
    await client.disconnect();
  }
}

/** Dead letters published since the set-up, as admin (verification, not a ministry's right). */
async function deadLettersFor(eventId: string, timeoutMs = 30_000): Promise<Record<string, string>[]> {
  const consumer = admin.consumer({ groupId: `party-writes-test-dlq-${randomBytes(4).toString('hex')}` });
  const found: Record<string, string>[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [DEAD_LETTER_TOPIC] });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([key, value]) => [key, String(value)]));
      if (headers[DEAD_LETTER_HEADERS.eventId] === eventId) found.push(headers);
    },
  });
  for (const { partition, offset } of deadLetterStart) consumer.seek({ topic: DEAD_LETTER_TOPIC, partition, offset });
  const deadline = Date.now() + timeoutMs;
  while (found.length === 0 && Date.now() < deadline) await sleep(200);
  await consumer.disconnect();
  return found;
}

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'security_party_writes');
  db = openDatabase(database.url);
  adapters = await startAdapters({ ...stack, databaseUrl: database.url }, ['justice', 'health', 'education']);
  const client = admin.admin();
  await client.connect();
  deadLetterStart = (await client.fetchTopicOffsets(DEAD_LETTER_TOPIC)).map(({ partition, high }) => ({ partition, offset: high }));
  await client.disconnect();
  const groupId = `passerelle-projector-party-writes-${randomBytes(4).toString('hex')}`;
  await groupAtTopicEnds(groupId, REFERRAL_TOPICS);
  const config = loadConfig({
    DATABASE_URL: database.url,
    ...kafkaEnvFor(stack, 'projector'),
    PASSERELLE_REGISTRY_URL: stack.registryUrl,
    PASSERELLE_RECORD_KEY_SECRET: 'test-only-record-key-secret-for-party-bound-writes-0001',
    PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
    PASSERELLE_CONSUMER_GROUP: groupId,
    PASSERELLE_TOPIC_PATTERN: '^(justice|health|education)\\.referrals\\.v1$',
    LOG_LEVEL: 'warn',
  });
  projector = await start({ ...config, port: 0, topicRefreshMs: 1_000 });
});

afterAll(async () => {
  await projector?.stop();
  await stopAdapters(adapters ?? {});
  await db?.destroy();
  await database?.drop();
});

/** A referral justice makes to health through its adapter; its id. */
/**
 * Publishes a ReferralCreated straight to Kafka as `principal`, past every adapter: the broker's
 * ACLs let a principal write its own topic whatever the event claims.
 */
async function publishRawCreation(
  principal: 'justice' | 'education',
  topic: string,
  event: ReturnType<typeof sampleEvents>['ReferralCreated'],
): Promise<void> {
  const serde = new EventSerde(new RegistryClient({ url: stack.registryUrl }));
  const producer = createIdempotentProducer(createKafka(kafkaOptionsFor(stack, principal, `party-writes-test-${principal}`)));
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: event.referralId, value: await serde.encode('ReferralCreated', event) }] });
  } finally {
    await producer.disconnect();
  }
}

const deadLetterRow = (eventId: string) =>
  waitFor(
    'the dead letter recorded',
    async () => (await db(`view.${VIEW_TABLE.dead_letters}`).where({ event_id: eventId }).first()) as Record<string, unknown> | undefined,
    WAIT_MS,
  );

async function justiceReferral(referredAt: string): Promise<string> {
  const created = await post(
    adapters.justice.url,
    '/referrals',
    {
      referralNumber: `VWAP-${randomBytes(4).toString('hex')}`,
      program: 'vwap',
      victim: { personId: `JP-${randomBytes(4).toString('hex')}` },
      referredTo: { serviceType: 'health_provider', ministry: 'health' },
      supportNeeded: 'counselling',
      region: 'toronto',
      urgency: 'urgent',
      consent: 'standard',
      riskFactors: { youngWomen: true, indigenous: true },
      referredAt,
    },
    { token: adapters.justice.token },
  );
  expect(created.status).toBe(202);
  return (created.body['events'] as { key: string }[])[0]?.key ?? '';
}

describe('only the parties to a referral write about it', () => {
  it('education’s status change and consent withdrawal on a referral justice made to health are accepted (its adapter cannot know) but never applied, and flagged not_a_party', async () => {
    const referralId = await justiceReferral('2025-03-03T10:15:00-05:00');
    const before = await waitFor('the referral in the view', () => referralRow(referralId), WAIT_MS);
    expect(before).toMatchObject({
      status: 'REQUESTED',
      referring_ministry: 'JUSTICE',
      receiving_ministry: 'HEALTH',
      young_women: true,
      indigenous: true,
    });
    // The view keeps the subject sealed at rest; the view API opens it per answer.
    expect(before).toMatchObject({ subject_pseudonym: null, subject_sealed: { algorithm: 'AES_256_GCM' } });

    const declined = await post(
      adapters.education.url,
      '/referrals/status-changes',
      { referralId, status: 'declined', reason: 'capacity_full', changedAt: '2025-03-04T08:00:00Z' },
      { token: adapters.education.token },
    );
    const withdrawn = await post(
      adapters.education.url,
      '/referrals/consent-withdrawals',
      { referralId, withdrawnAt: '2025-03-04T09:00:00Z' },
      { token: adapters.education.token },
    );
    // The education adapter cannot know whether education receives this referral: only its creation, on justice's topic, says.
    expect([declined.status, withdrawn.status]).toEqual([202, 202]);
    const refused = [...eventIdsOf(declined.body), ...eventIdsOf(withdrawn.body)];
    await waitFor('education’s events processed', () => processed(refused), WAIT_MS);

    const after = await referralRow(referralId);
    expect({ ...after, illegal_transitions: undefined }).toEqual({ ...before, illegal_transitions: undefined });
    expect(after).toMatchObject({
      status: 'REQUESTED',
      declined_at: null,
      consent_withdrawn_at: null,
      subject_pseudonym: null,
      subject_sealed: before['subject_sealed'],
      illegal_transitions: 2,
    });
    const flagged = (await db(`view.${VIEW_TABLE.illegal_transitions}`).where({ referral_id: referralId }).orderBy('event_type')) as Record<
      string,
      unknown
    >[];
    expect(flagged.map((row) => [row['event_id'], row['event_type'], row['reason_code'], row['source_ministry']])).toEqual([
      [refused[1], 'ConsentWithdrawn', 'not_a_party', 'EDUCATION'],
      [refused[0], 'ReferralStatusChanged', 'not_a_party', 'EDUCATION'],
    ]);
    expect(await db(`view.${VIEW_TABLE.consent_purges}`).where({ referral_id: referralId })).toEqual([]);
    const creation = (await db(`view.${VIEW_TABLE.referral_history}`)
      .where({ referral_id: referralId, event_type: 'ReferralCreated' })
      .first()) as { payload: Record<string, unknown> };
    // The history keeps the creation as the adapter sealed it; only the referral row holds the opened pseudonym.
    expect(creation.payload['subjectPseudonym']).toBe(SEALED_PSEUDONYM_PLACEHOLDER);
    expect(creation.payload['sealedSubject']).toMatchObject({ algorithm: 'AES_256_GCM' });

    // The receiving party's write, through the same kind of path, is applied.
    const received = await post(
      adapters.health.url,
      '/fhir/Task',
      {
        resourceType: 'Task',
        id: `task-${randomBytes(4).toString('hex')}`,
        status: 'received',
        intent: 'order',
        focus: { identifier: { system: `${FHIR}/NamingSystem/referral-id`, value: referralId } },
        lastModified: '2025-03-04T10:00:00Z',
      },
      { token: adapters.health.token, contentType: 'application/fhir+json' },
    );
    expect(received.status).toBe(202);
    await waitFor('health’s status change applied', async () => (await referralRow(referralId))?.['status'] === 'RECEIVED', WAIT_MS);
  });

  it('a ReferralCreated justice publishes on its own topic naming HEALTH as referring ministry is dead-lettered with its reason, and no referral appears', async () => {
    const referralId = randomUUID();
    const sample = sampleEvents('JUSTICE').ReferralCreated;
    const forged = {
      ...sample,
      envelope: { ...sample.envelope, eventId: randomUUID(), correlationId: referralId },
      referralId,
      referringMinistry: 'HEALTH' as const,
      receivingMinistry: 'EDUCATION' as const,
    };
    // The broker lets justice write here: its ACLs prove the sender, not what the event claims.
    await publishRawCreation('justice', 'justice.referrals.v1', forged);

    const letter = await deadLetterRow(forged.envelope.eventId);
    expect(letter).toMatchObject({
      reason_code: 'referring_ministry_not_topic_owner',
      event_type: 'ReferralCreated',
      source_topic: 'justice.referrals.v1',
      published: true,
    });
    expect(String(letter['reason'])).not.toContain(forged.subjectPseudonym);
    const published = await deadLettersFor(forged.envelope.eventId);
    expect(published[0]).toMatchObject({
      [DEAD_LETTER_HEADERS.reasonCode]: 'referring_ministry_not_topic_owner',
      [DEAD_LETTER_HEADERS.sourceTopic]: 'justice.referrals.v1',
    });
    expect(await referralRow(referralId)).toBeUndefined();
    expect(await db(`view.${VIEW_TABLE.referral_history}`).where({ referral_id: referralId })).toEqual([]);
    expect(await db(`view.${VIEW_TABLE.processed_events}`).where({ event_id: forged.envelope.eventId })).toEqual([]);
  });
  it('education publishing straight to Kafka a back-dated ReferralCreated of justice’s referral id, naming itself, is dead-lettered and cannot make education a party', async () => {
    const referralId = await justiceReferral('2025-04-03T10:15:00-04:00');
    const before = await waitFor('the referral in the view', () => referralRow(referralId), WAIT_MS);

    // Education learnt the id and claims the referral with an earlier creation, on its own topic, naming itself.
    const sample = sampleEvents('EDUCATION').ReferralCreated;
    const forged = {
      ...sample,
      envelope: { ...sample.envelope, eventId: randomUUID(), correlationId: referralId, occurredAt: Date.parse('2025-01-01T00:00:00Z') },
      referralId,
      referringMinistry: 'EDUCATION' as const,
      receivingMinistry: 'HEALTH' as const,
    };
    await publishRawCreation('education', 'education.referrals.v1', forged);
    const letter = await deadLetterRow(forged.envelope.eventId);
    expect(letter).toMatchObject({
      reason_code: 'referral_id_of_another_ministry',
      event_type: 'ReferralCreated',
      source_topic: 'education.referrals.v1',
    });

    // Education is still no party: its withdrawal is refused, and the referral is justice's as before.
    const withdrawn = await post(
      adapters.education.url,
      '/referrals/consent-withdrawals',
      { referralId, withdrawnAt: '2025-04-04T09:00:00Z' },
      { token: adapters.education.token },
    );
    expect(withdrawn.status).toBe(202);
    await waitFor('education’s withdrawal processed', () => processed(eventIdsOf(withdrawn.body)), WAIT_MS);
    expect(await referralRow(referralId)).toMatchObject({
      referring_ministry: 'JUSTICE',
      created_by: 'JUSTICE',
      requested_at: before['requested_at'],
      consent_withdrawn_at: null,
      subject_sealed: before['subject_sealed'],
    });
    expect(await db(`view.${VIEW_TABLE.illegal_transitions}`).where({ referral_id: referralId }).select('reason_code')).toEqual([
      { reason_code: 'not_a_party' },
    ]);
  });
});
