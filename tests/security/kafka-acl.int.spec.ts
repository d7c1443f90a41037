import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { post } from '@passerelle/adapter/testing';
import { DEAD_LETTER_HEADERS, createIdempotentProducer, createKafka } from '@passerelle/kafka';
import { createTestDatabase, kafkaOptionsFor, type KafkaPrincipal, type TestDatabase } from '@passerelle/testing';
import { eventIdsOf, startAdapters, stopAdapters, type StartedAdapter } from '../adapters/adapter-harness.ts';

/**
 * Broker-level identity and access with the real SCRAM credentials of the stack and the ACLs
 * of infra/topics/acls.json (the global set-up provisions them): a ministry speaks only for
 * itself, reads nothing, and cannot create or delete topics; the projector reads the ministry
 * topics and writes only the dead-letter topic; nobody unknown gets in.
 */
const stack = inject('stack');
const MINISTRIES = ['justice', 'child-welfare', 'health', 'education', 'coordination-office'] as const;
const DEAD_LETTER_TOPIC = 'passerelle.dead-letter.v1';
/**
 * A client as `principal`, with few retries: these tests expect refusals (which kafkajs never
 * retries), yet a fresh broker may still be creating its offsets topic (which it does retry).
 */
function kafkaAs(principal: KafkaPrincipal, clientId = `acl-test-${principal}`): Kafka {
  return createKafka({ ...kafkaOptionsFor(stack, principal, clientId), retries: 5 });
}

/** Every error code and name along an error's causes (kafkajs wraps protocol errors). */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (!value || typeof value !== 'object' || depth > 6) return;
    const record = value as Record<string, unknown>;
    for (const key of ['type', 'name']) if (typeof record[key] === 'string') codes.push(record[key]);
    for (const key of ['cause', 'originalError', 'retriedError']) visit(record[key], depth + 1);
    if (Array.isArray(record['errors'])) for (const inner of record['errors']) visit(inner, depth + 1);
  };
  visit(error, 0);
  return codes;
}

async function failureOf(run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run();
  } catch (error) {
    return errorCodes(error);
  }
  return ['(no error: the broker allowed it)'];
}

async function produceAs(principal: KafkaPrincipal, topic: string, headers: Record<string, string> = {}): Promise<void> {
  const producer = createIdempotentProducer(kafkaAs(principal));
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: `acl-test-${randomBytes(4).toString('hex')}`, value: null, headers }] });
  } finally {
    await producer.disconnect();
  }
}

const AUTHORIZATION_FAILURES = ['GROUP_AUTHORIZATION_FAILED', 'TOPIC_AUTHORIZATION_FAILED'];

/**
 * Tries to consume `topics` as `principal` in group `groupId`; resolves with the error codes
 * of the refusal, or with the event ids of `wanted` it read.
 */
async function consumeAs(
  principal: KafkaPrincipal,
  topics: readonly string[],
  groupId: string,
  wanted: ReadonlySet<string> = new Set(),
  timeoutMs = 30_000,
): Promise<{ refused: string[]; read: string[] }> {
  // kafkajs reports a refused FindCoordinator as "coordinator not found" and logs the broker's
  // error code at debug level only: keep those codes too.
  const logged: string[] = [];
  const options = kafkaOptionsFor(stack, principal, `acl-test-${principal}`);
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...(options.sasl ? { sasl: { ...options.sasl } } : {}),
    ...(options.ssl ? { ssl: options.ssl } : {}),
    retry: { retries: 5 },
    logLevel: logLevel.DEBUG,
    logCreator: () => (entry) => {
      const error = (entry.log as { error?: unknown }).error;
      if (error) logged.push(...errorCodes(error), String((error as { message?: unknown }).message ?? error));
    },
  });
  const authorizationFailures = (codes: readonly string[]) =>
    codes.filter((code) => AUTHORIZATION_FAILURES.includes(code) || /authorization failed/i.test(code));
  // A refusal ends the consumer; a transient error (a fresh broker still loading its groups answers
  // GROUP_LOAD_IN_PROGRESS) restarts it, as it would in the projector, until the deadline.
  const restartOnFailure = async (error: Error) => authorizationFailures([...errorCodes(error), ...logged]).length === 0;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, retry: { retries: 5, restartOnFailure } });
  const read: string[] = [];
  let refused: string[] = [];
  let crashed = false;
  consumer.on(consumer.events.CRASH, (event) => {
    if (event.payload.restart) return;
    refused = [...errorCodes(event.payload.error), ...authorizationFailures(logged)];
    crashed = true;
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const eventId = String(message.headers?.['passerelle-event-id'] ?? '');
        if (wanted.has(eventId)) read.push(eventId);
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (!crashed && read.length < wanted.size && Date.now() < deadline) await sleep(200);
  } catch (error) {
    refused = [...errorCodes(error), ...logged.filter((code) => AUTHORIZATION_FAILURES.includes(code))];
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return { refused, read };
}

beforeAll(() => {
  expect(stack.kafkaCredentials?.admin, 'the broker must require SASL/SCRAM: its data folder holds kafka-credentials.json').toBeDefined();
});

describe('Kafka identity: who may connect', () => {
  it('refuses an unknown user, a wrong password and a client without credentials', async () => {
    const admin = (sasl: { username: string; password: string } | undefined) =>
      createKafka({
        clientId: 'acl-test-intruder',
        brokers: stack.kafkaBrokers,
        // Over TLS like any client: what is tested here is the SCRAM refusal.
        ssl: kafkaOptionsFor(stack, 'admin', 'acl-test-intruder').ssl,
        retries: 0,
        ...(sasl ? { sasl: { mechanism: 'scram-sha-512' as const, ...sasl } } : {}),
      }).admin();

    const unknown = admin({ username: 'mallory', password: randomBytes(24).toString('base64url') });
    expect(await failureOf(() => unknown.connect())).toContain('KafkaJSSASLAuthenticationError');
    const wrongPassword = admin({ username: 'justice', password: randomBytes(24).toString('base64url') });
    expect(await failureOf(() => wrongPassword.connect())).toContain('KafkaJSSASLAuthenticationError');
    const anonymous = admin(undefined);
    const anonymousFailure = await failureOf(async () => {
      await anonymous.connect();
      await anonymous.listTopics();
    });
    expect(anonymousFailure).not.toContain('(no error: the broker allowed it)');
    await Promise.all([unknown, wrongPassword, anonymous].map((a) => a.disconnect().catch(() => undefined)));
  });
});

describe('Kafka ACLs: ministries', () => {
  it('justice cannot produce to health.referrals.v1', async () => {
    expect(await failureOf(() => produceAs('justice', 'health.referrals.v1'))).toContain('TOPIC_AUTHORIZATION_FAILED');
  });

  it('no ministry can produce to another ministry’s topic or to the dead-letter topic', async () => {
    for (const ministry of MINISTRIES) {
      const other = MINISTRIES[(MINISTRIES.indexOf(ministry) + 1) % MINISTRIES.length];
      expect(await failureOf(() => produceAs(ministry, `${other}.service-gaps.v1`)), `${ministry} → ${other}`).toContain(
        'TOPIC_AUTHORIZATION_FAILED',
      );
      expect(await failureOf(() => produceAs(ministry, DEAD_LETTER_TOPIC)), `${ministry} → dead letters`).toContain(
        'TOPIC_AUTHORIZATION_FAILED',
      );
    }
  });

  it('no ministry can consume any ministry topic, its own included, even with the projector’s group name', async () => {
    for (const ministry of MINISTRIES) {
      const own = await consumeAs(ministry, [`${ministry}.referrals.v1`], `passerelle-projector-acl-${randomBytes(4).toString('hex')}`);
      expect(
        own.refused.some((code) => AUTHORIZATION_FAILURES.includes(code)),
        `${ministry} reading its own topic: ${own.refused.join(', ')}`,
      ).toBe(true);
      const other = MINISTRIES[(MINISTRIES.indexOf(ministry) + 2) % MINISTRIES.length];
      const foreign = await consumeAs(ministry, [`${other}.referrals.v1`], `acl-test-${ministry}-${randomBytes(4).toString('hex')}`);
      expect(
        foreign.refused.some((code) => AUTHORIZATION_FAILURES.includes(code)),
        `${ministry} reading ${other}: ${foreign.refused.join(', ')}`,
      ).toBe(true);
    }
  });

  it('a ministry cannot create or delete a topic, not even under its own prefix', async () => {
    const topic = `justice.acl-test-${randomBytes(4).toString('hex')}.v1`;
    const justice = kafkaAs('justice').admin();
    const admin = kafkaAs('admin').admin();
    await Promise.all([justice.connect(), admin.connect()]);
    try {
      expect(await failureOf(() => justice.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] }))).toContain(
        'TOPIC_AUTHORIZATION_FAILED',
      );
      expect(await admin.listTopics()).not.toContain(topic);

      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
      expect(await failureOf(() => justice.deleteTopics({ topics: [topic], timeout: 5_000 }))).toContain('TOPIC_AUTHORIZATION_FAILED');
      expect(await admin.listTopics()).toContain(topic);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await Promise.all([justice.disconnect(), admin.disconnect()]);
    }
  });
});

describe('Kafka ACLs: the projector', () => {
  let database: TestDatabase;
  let adapters: { justice: StartedAdapter } | undefined;

  beforeAll(async () => {
    database = await createTestDatabase(stack.databaseUrl, 'kafka_acl');
    // The justice adapter connects as the justice principal (startAdapters gives each its own).
    adapters = await startAdapters({ ...stack, databaseUrl: database.url }, ['justice']);
  });

  afterAll(async () => {
    await stopAdapters(adapters ?? {});
    await database?.drop();
  });

  it('justice publishes to justice.referrals.v1 through its adapter, and the projector consumes it in its own group', async () => {
    const justice = adapters!.justice;
    const body = readFileSync(new URL('../../services/adapter-justice/fixtures/vwap-referral.json', import.meta.url), 'utf8');
    const answer = await post(justice.url, '/referrals', body, { token: justice.token });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const ids = new Set(eventIdsOf(answer.body));

    const groupId = `passerelle-projector-acl-${randomBytes(4).toString('hex')}`;
    const consumed = await consumeAs('projector', ['justice.referrals.v1'], groupId, ids, 60_000);
    expect(consumed.refused).toEqual([]);
    expect(new Set(consumed.read)).toEqual(ids);

    // Its temporary groups are its own to delete (rebuilds and the CLI's readers do so).
    const admin = kafkaAs('projector').admin();
    await admin.connect();
    await admin.deleteGroups([groupId]);
    await admin.disconnect();
  });

  it('the projector cannot produce to a ministry topic', async () => {
    for (const ministry of MINISTRIES) {
      expect(await failureOf(() => produceAs('projector', `${ministry}.referrals.v1`)), ministry).toContain('TOPIC_AUTHORIZATION_FAILED');
    }
  });

  it('the projector can produce to the dead-letter topic', async () => {
    // An empty dead letter that says what it is, should an operator list the topic.
    const headers = {
      [DEAD_LETTER_HEADERS.reasonCode]: 'ACL_TEST',
      [DEAD_LETTER_HEADERS.reason]:
        'written by tests/security/kafka-acl.int.spec.ts to prove the projector may write here; nothing to redrive',
    };
    const result = await failureOf(() => produceAs('projector', DEAD_LETTER_TOPIC, headers));
    expect(result).toEqual(['(no error: the broker allowed it)']);
  });

  it('the projector cannot consume in a group outside its prefix, nor create topics', async () => {
    const outside = await consumeAs('projector', ['justice.referrals.v1'], `someone-else-${randomBytes(4).toString('hex')}`);
    expect(outside.refused).toContain('GROUP_AUTHORIZATION_FAILED');
    const admin = kafkaAs('projector').admin();
    await admin.connect();
    try {
      expect(
        await failureOf(() =>
          admin.createTopics({ topics: [{ topic: `justice.acl-test-${randomBytes(4).toString('hex')}.v1`, numPartitions: 1 }] }),
        ),
      ).toContain('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await admin.disconnect();
    }
  });
});
