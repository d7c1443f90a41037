import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import knex, { type Knex } from 'knex';
import type { RunningAdapter, StartOptions } from '@passerelle/adapter';
import { LogCapture, testAdapterConfig } from '@passerelle/adapter/testing';
import * as childWelfare from '@passerelle/adapter-child-welfare';
import * as coordinationOffice from '@passerelle/adapter-coordination-office';
import * as education from '@passerelle/adapter-education';
import * as health from '@passerelle/adapter-health';
import * as justice from '@passerelle/adapter-justice';
import { adapterNameOf, EventSerde, PARTIES, RegistryClient, type DecodedEvent, type Party } from '@passerelle/contracts';
import { createKafka } from '@passerelle/kafka';
import { kafkaOptionsFor, type KafkaStack } from '@passerelle/testing';

/**
 * Each party's adapter module by adapter name: the one list of the tests the registry cannot give
 * (an import per package). `adapterModulesDrift` checks it names exactly the registry's adapters.
 */
export const ADAPTER_MODULES = {
  justice,
  'child-welfare': childWelfare,
  health,
  education,
  'coordination-office': coordinationOffice,
} as const;
export type AdapterName = keyof typeof ADAPTER_MODULES;

/** The parties' adapters, in the registry's order. */
export const ADAPTER_NAMES = PARTIES.map(adapterNameOf) as readonly AdapterName[];

/** How the harness's modules differ from a registry's adapters (default: schemas/parties.json); empty when they agree. */
export function adapterModulesDrift(parties: readonly Party[] = PARTIES): string[] {
  const wanted = parties.map(adapterNameOf);
  const have = Object.keys(ADAPTER_MODULES);
  return [
    ...wanted
      .filter((name) => !have.includes(name))
      .map((name) => `adapter ${name}: in the party registry, no module in tests/adapters/adapter-harness.ts`),
    ...have
      .filter((name) => !wanted.includes(name))
      .map((name) => `adapter ${name}: a module in tests/adapters/adapter-harness.ts, not in the party registry`),
  ];
}

/** The registry's facts of an adapter the harness starts. */
function partyOfAdapter(name: AdapterName): Party {
  const party = PARTIES.find((p) => adapterNameOf(p) === name);
  if (!party) throw new Error(adapterModulesDrift().join('\n'));
  return party;
}

export interface StartedAdapter {
  readonly name: AdapterName;
  readonly url: string;
  readonly token: string;
  readonly schema: string;
  readonly running: RunningAdapter;
  /** Every log line the adapter wrote (tests keep stdout quiet and search these). */
  readonly logs: LogCapture;
}

export interface StackAddresses extends KafkaStack {
  readonly databaseUrl: string;
  readonly registryUrl: string;
}

/**
 * Starts the named adapters in-process on port 0, each with a fresh token and key, in its default
 * schema of `stack.databaseUrl`, connecting to Kafka as its own ministry's principal.
 */
export async function startAdapters(
  stack: StackAddresses,
  names: readonly AdapterName[] = ADAPTER_NAMES,
  options: StartOptions = {},
): Promise<Record<AdapterName, StartedAdapter>> {
  const started = await Promise.all(
    names.map(async (name) => {
      const party = partyOfAdapter(name);
      const schema = party.adapter.databaseSchema;
      const config = testAdapterConfig(stack, {
        databaseSchema: schema,
        logLevel: 'debug',
        kafkaSasl: kafkaOptionsFor(stack, party.kafkaPrincipal, party.adapter.service).sasl,
      });
      const logs = new LogCapture();
      const running = await ADAPTER_MODULES[name].start(config, {
        relayPollIntervalMs: 100,
        relayMaxBackoffMs: 1_000,
        logDestination: logs,
        ...options,
      });
      return { name, url: running.url, token: config.ministryToken, schema, running, logs } satisfies StartedAdapter;
    }),
  );
  return Object.fromEntries(started.map((adapter) => [adapter.name, adapter])) as Record<AdapterName, StartedAdapter>;
}

export async function stopAdapters(adapters: Partial<Record<AdapterName, StartedAdapter>>): Promise<void> {
  await Promise.all(Object.values(adapters).map((adapter) => adapter?.running.stop()));
}

export interface RowCounts {
  readonly outbox: number;
  readonly idempotency: number;
  readonly sourceIds: number;
}

/** Rows in an adapter's outbox, idempotency and source-id tables. */
export async function countRows(db: Knex, schema: string): Promise<RowCounts> {
  const count = async (table: string): Promise<number> =>
    Number((await db.withSchema(schema).table(table).count({ n: '*' }))[0]?.['n'] ?? 0);
  return { outbox: await count('outbox'), idempotency: await count('idempotency_keys'), sourceIds: await count('source_ids') };
}

export function openDatabase(url: string): Knex {
  return knex({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
}

export interface ConsumedMessage {
  readonly topic: string;
  readonly key: string;
  readonly eventId: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

/**
 * Reads `topics` from the beginning (as admin) with a group of its own until every wanted eventId has
 * arrived (topics are shared, so others' events are skipped), then waits `settleMs` more so a
 * duplicate right behind would be seen too.
 */
export async function consumeEventIds(
  stack: KafkaStack,
  topics: readonly string[],
  wanted: ReadonlySet<string>,
  timeoutMs = 60_000,
  settleMs = 1_500,
): Promise<ConsumedMessage[]> {
  // Reading back is verification, not an adapter's right (no ministry principal may read): as admin.
  const kafka = createKafka(kafkaOptionsFor(stack, 'admin', 'adapter-tests'));
  const consumer = kafka.consumer({ groupId: `adapter-test-${randomBytes(4).toString('hex')}` });
  const seen: ConsumedMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const eventId = String(message.headers?.['passerelle-event-id'] ?? '');
      if (!wanted.has(eventId)) return;
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      seen.push({ topic, key: String(message.key), eventId, value: message.value ?? Buffer.alloc(0), headers });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (new Set(seen.map((m) => m.eventId)).size < wanted.size && Date.now() < deadline) await sleep(200);
  await sleep(settleMs);
  await consumer.disconnect();
  return seen;
}

export async function decodeAll(
  registryUrl: string,
  messages: readonly ConsumedMessage[],
): Promise<(DecodedEvent & { topic: string; key: string })[]> {
  const serde = new EventSerde(new RegistryClient({ url: registryUrl }));
  return Promise.all(messages.map(async (message) => ({ ...(await serde.decode(message.value)), topic: message.topic, key: message.key })));
}

export function eventIdsOf(body: Record<string, unknown>): string[] {
  return ((body['events'] as { eventId: string }[] | undefined) ?? []).map((event) => event.eventId);
}
