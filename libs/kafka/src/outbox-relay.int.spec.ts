import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaJSProtocolError, type Kafka } from 'kafkajs';
import { Registry } from 'prom-client';
import { createDatabase, migrate, type Knex } from '@passerelle/db';
import { createLogger } from '@passerelle/logging';
import { createTestDatabase, kafkaOptionsFor, uniqueName, waitFor, type TestDatabase } from '@passerelle/testing';
import {
  OUTBOX_TABLE,
  OutboxRelay,
  appendToOutbox,
  needsNewProducerSession,
  relayLockKey,
  createIdempotentProducer,
  createKafka,
  outboxMigrations,
  type OutboxEntry,
} from './index.ts';

const stack = inject('stack');
const logger = createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, cb) => cb() }) as never });
/** The error kafkajs raises for a broker's error code (its typings only admit a message). */
const protocolError = (type: string) => new KafkaJSProtocolError({ message: type, type, code: 0, retriable: false } as unknown as Error);
const encodeJson = async (row: { payload: unknown }) => Buffer.from(JSON.stringify(row.payload));

function entries(topic: string, keys: readonly string[], perKey: number): OutboxEntry[] {
  return keys.flatMap((key) =>
    Array.from({ length: perKey }, (_, seq) => ({
      eventId: randomUUID(),
      eventType: 'TestEvent',
      topic,
      key,
      payload: { key, seq },
      traceContext: {},
    })),
  );
}

async function readAll(
  kafka: Kafka,
  topic: string,
  expected: number,
  timeoutMs = 30_000,
): Promise<{ key: string; seq: number; eventId: string }[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('outbox-test') });
  const seen: { key: string; seq: number; eventId: string }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const payload = JSON.parse(String(message.value)) as { key: string; seq: number };
      seen.push({ ...payload, eventId: String(message.headers?.['passerelle-event-id']) });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (seen.length < expected && Date.now() < deadline) await sleep(100);
  await sleep(500); // a duplicate would arrive right behind
  await consumer.disconnect();
  return seen;
}

describe('OutboxRelay', () => {
  let database: TestDatabase;
  let db: Knex;
  let kafka: Kafka;
  const topics: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(stack.databaseUrl, 'outbox');
    db = createDatabase({ url: database.url });
    await migrate(db, outboxMigrations, 'outbox_migrations');
    // Throw-away topics no ACL covers: the relay publishes as admin here.
    kafka = createKafka(kafkaOptionsFor(stack, 'admin', 'outbox-test'));
  });

  afterAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await db.destroy();
    await database.drop();
  });

  async function newTopic(): Promise<string> {
    const topic = uniqueName('test.outbox.v1');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    topics.push(topic);
    return topic;
  }

  it('publishes every row once, in order per key, marks it published and keeps nothing of the event', async () => {
    const topic = await newTopic();
    const accepted = entries(topic, ['ref-a', 'ref-b', 'ref-c'], 20);
    await db.transaction((trx) => appendToOutbox(trx, accepted));
    const relay = new OutboxRelay({
      db,
      producer: createIdempotentProducer(kafka),
      encode: encodeJson,
      logger,
      name: uniqueName('relay'),
      batchSize: 25,
      pollIntervalMs: 50,
    });

    relay.start();
    const seen = await readAll(kafka, topic, accepted.length);
    await relay.stop();

    expect(seen).toHaveLength(accepted.length);
    expect(new Set(seen.map((m) => m.eventId)).size).toBe(accepted.length);
    for (const key of ['ref-a', 'ref-b', 'ref-c']) {
      expect(seen.filter((m) => m.key === key).map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
    const unpublished = await db(OUTBOX_TABLE)
      .whereIn(
        'event_id',
        accepted.map((e) => e.eventId),
      )
      .whereNull('published_at')
      .count({ n: '*' });
    expect(unpublished[0]?.['n']).toBe(0);
    const payloads = (await db(OUTBOX_TABLE)
      .whereIn(
        'event_id',
        accepted.map((e) => e.eventId),
      )
      .pluck('payload')) as unknown[];
    expect(payloads).toHaveLength(accepted.length);
    expect(new Set(payloads.map((p) => JSON.stringify(p)))).toEqual(new Set(['{}']));
  });

  it('keeps rows while Kafka is unreachable, records the failure, and publishes them once it is back', async () => {
    const topic = await newTopic();
    const accepted = entries(topic, ['ref-down'], 10);
    await db.transaction((trx) => appendToOutbox(trx, accepted));
    const metrics = new Registry();
    const deadKafka = createKafka({ clientId: 'outbox-dead', brokers: ['127.0.0.1:1'], retries: 1 });
    const name = uniqueName('relay');
    const down = new OutboxRelay({
      db,
      producer: createIdempotentProducer(deadKafka),
      encode: encodeJson,
      logger,
      name,
      metrics,
      pollIntervalMs: 50,
      maxBackoffMs: 200,
    });

    down.start();
    await sleep(1_500);
    await down.stop(0);
    const pending = await db(OUTBOX_TABLE)
      .whereIn(
        'event_id',
        accepted.map((e) => e.eventId),
      )
      .whereNull('published_at');
    const exposition = await metrics.metrics();

    expect(pending).toHaveLength(10);
    expect(exposition).toMatch(/outbox_depth \d+/);
    expect(Number(/outbox_depth (\d+)/.exec(exposition)?.[1])).toBeGreaterThanOrEqual(10);
    expect(Number(/outbox_oldest_unpublished_age_seconds ([\d.]+)/.exec(exposition)?.[1])).toBeGreaterThan(1);

    const up = new OutboxRelay({ db, producer: createIdempotentProducer(kafka), encode: encodeJson, logger, name, pollIntervalMs: 50 });
    up.start();
    const seen = await readAll(kafka, topic, 10);
    await up.stop();

    expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('publishes each row exactly once when two replicas race on the same outbox', async () => {
    const topic = await newTopic();
    const accepted = entries(topic, ['ref-x', 'ref-y'], 100);
    await db.transaction((trx) => appendToOutbox(trx, accepted));
    const name = uniqueName('relay');
    const replicas = [1, 2].map(
      () =>
        new OutboxRelay({
          db,
          producer: createIdempotentProducer(kafka),
          encode: encodeJson,
          logger,
          name,
          batchSize: 10,
          pollIntervalMs: 10,
        }),
    );

    for (const relay of replicas) relay.start();
    const seen = await readAll(kafka, topic, accepted.length);
    await Promise.all(replicas.map((relay) => relay.stop()));

    expect(seen).toHaveLength(accepted.length);
    expect(new Set(seen.map((m) => m.eventId)).size).toBe(accepted.length);
    expect(seen.filter((m) => m.key === 'ref-x').map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('lingers after a notified commit, so the commits that follow within lingerMs go out in the same batch', async () => {
    const topic = await newTopic();
    const accepted = entries(topic, ['ref-linger'], 10);
    const metrics = new Registry();
    // No poll to speak of: only the notifications wake it.
    const relay = new OutboxRelay({
      db,
      producer: createIdempotentProducer(kafka),
      encode: encodeJson,
      logger,
      name: uniqueName('relay'),
      metrics,
      pollIntervalMs: 600_000,
      lingerMs: 3_000,
    });
    relay.start();
    await waitFor('the relay to be connected and waiting', async () => relay.kafkaHealthy && relay.idle, 30_000, 20);

    // Ten acceptances, each committing one row and telling the relay, as the adapter does.
    for (const entry of accepted) {
      await db.transaction((trx) => appendToOutbox(trx, [entry]));
      relay.notify();
    }
    const seen = await readAll(kafka, topic, accepted.length);
    await relay.stop();
    const exposition = await metrics.metrics();

    expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    // One batch, one Kafka request, for the ten commits.
    expect(Number(/outbox_publish_batch_size_count (\d+)/.exec(exposition)?.[1])).toBe(1);
    expect(Number(/outbox_publish_batch_size_sum (\d+)/.exec(exposition)?.[1])).toBe(10);
  });

  it('publishes nothing while another session holds its lock, and every row once the lock is released', async () => {
    const topic = await newTopic();
    const accepted = entries(topic, ['ref-held'], 15);
    await db.transaction((trx) => appendToOutbox(trx, accepted));
    const name = uniqueName('relay');
    const holder = createDatabase({ url: database.url, poolMax: 1 });
    await holder.raw('SELECT pg_advisory_lock(?)', [relayLockKey(name)]);
    const relay = new OutboxRelay({ db, producer: createIdempotentProducer(kafka), encode: encodeJson, logger, name, pollIntervalMs: 20 });

    relay.start();
    await sleep(1_000);
    const heldBack = await db(OUTBOX_TABLE)
      .whereIn(
        'event_id',
        accepted.map((e) => e.eventId),
      )
      .whereNull('published_at');
    await holder.raw('SELECT pg_advisory_unlock(?)', [relayLockKey(name)]);
    await holder.destroy();
    const seen = await readAll(kafka, topic, accepted.length);
    await relay.stop();

    expect(heldBack).toHaveLength(accepted.length);
    expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i));
  });

  it('starts a new producer session when the broker refuses its sequence numbers, instead of retrying them forever', async () => {
    const topic = await newTopic();
    const accepted = entries(topic, ['ref-seq'], 20);
    await db.transaction((trx) => appendToOutbox(trx, accepted));
    // The real producer, with the broker's answer after a batch was lost while it restarted, once.
    const producer = createIdempotentProducer(kafka);
    let connects = 0;
    let refused = false;
    const connect = producer.connect.bind(producer);
    const sendBatch = producer.sendBatch.bind(producer);
    producer.connect = async () => {
      connects += 1;
      await connect();
    };
    producer.sendBatch = async (batch) => {
      if (!refused) {
        refused = true;
        throw protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER');
      }
      return sendBatch(batch);
    };
    const relay = new OutboxRelay({
      db,
      producer,
      encode: encodeJson,
      logger,
      name: uniqueName('relay'),
      pollIntervalMs: 20,
      maxBackoffMs: 500,
    });

    relay.start();
    const seen = await readAll(kafka, topic, accepted.length);
    await relay.stop();

    expect(refused).toBe(true);
    expect(connects).toBe(2);
    expect(seen.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(
      await db(OUTBOX_TABLE)
        .whereIn(
          'event_id',
          accepted.map((e) => e.eventId),
        )
        .whereNull('published_at'),
    ).toHaveLength(0);
  });
});

describe('needsNewProducerSession', () => {
  it('asks for a new session on a lost connection, fenced or unknown producer ids and sequence gaps, also behind exhausted retries', () => {
    expect(needsNewProducerSession(protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'))).toBe(true);
    expect(needsNewProducerSession(protocolError('UNKNOWN_PRODUCER_ID'))).toBe(true);
    expect(needsNewProducerSession(protocolError('INVALID_PRODUCER_EPOCH'))).toBe(true);
    expect(
      needsNewProducerSession({ name: 'KafkaJSNumberOfRetriesExceeded', originalError: protocolError('OUT_OF_ORDER_SEQUENCE_NUMBER') }),
    ).toBe(true);
    expect(needsNewProducerSession({ name: 'KafkaJSConnectionError' })).toBe(true);
    expect(needsNewProducerSession(protocolError('NOT_LEADER_FOR_PARTITION'))).toBe(false);
    expect(needsNewProducerSession(protocolError('TOPIC_AUTHORIZATION_FAILED'))).toBe(false);
  });
});
