import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Knex } from 'knex';
import { post } from '@passerelle/adapter/testing';
import { EventSerde, RegistryClient, SEALED_PSEUDONYM_PLACEHOLDER } from '@passerelle/contracts';
import { TEST_KEY_ENCRYPTION_KEY_HEX } from '@passerelle/contracts/testing';
import { createKafka, readTopic } from '@passerelle/kafka';
import { loadConfig, runCli, start, type RunningProjector } from '@passerelle/projector';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, mintDevToken, start as startViewApi, type RunningViewApi } from '@passerelle/view-api';
import { createTestDatabase, kafkaEnvFor, kafkaOptionsFor, waitFor, type TestDatabase } from '@passerelle/testing';
import {
  eventIdsOf,
  openDatabase,
  startAdapters,
  stopAdapters,
  type AdapterName,
  type StartedAdapter,
} from '../adapters/adapter-harness.ts';
import { quiet, SECRET, viewApiConfig } from '../view-api/harness.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/**
 * A canary subject through the real stack (the justice adapter over HTTP, Kafka with the
 * ministries' credentials, the registry, the projector, PostgreSQL, the view API): after its
 * consent is withdrawn, nothing derived from the canary's inputs can be read anywhere, neither
 * on the topics, nor in a dump of every schema, nor in the database's files; a second subject
 * stays readable and counted.
 */
const stack = inject('stack');
const REFERRALS_TOPIC = 'justice.referrals.v1';
const WAIT_MS = 45_000;
const admin = createKafka(kafkaOptionsFor(stack, 'admin', 'erasure-canary-test'));

let database: TestDatabase;
let db: Knex;
let adapters: Record<AdapterName, StartedAdapter>;
let projector: RunningProjector;
let viewApi: RunningViewApi;
let projectorEnv: Record<string, string>;

const canary = `CANARY-${randomBytes(6).toString('hex')}`;
const other = `KEPT-${randomBytes(6).toString('hex')}`;
const token = (role: string, ministry?: string) =>
  mintDevToken({ secret: SECRET, issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE, role, ministry, expiresIn: '10m' });
const processed = async (eventIds: readonly string[]) =>
  (await db(`view.${VIEW_TABLE.processed_events}`).whereIn('event_id', [...eventIds])).length === eventIds.length;

async function refer(personId: string): Promise<string> {
  const created = await post(
    adapters.justice.url,
    '/referrals',
    {
      referralNumber: `VWAP-${randomBytes(4).toString('hex')}`,
      program: 'vwap',
      victim: { personId },
      referredTo: { serviceType: 'health_provider', ministry: 'health' },
      supportNeeded: 'counselling',
      region: 'north_west',
      urgency: 'urgent',
      consent: 'standard',
      riskFactors: { youngWomen: true, indigenous: true },
      referredAt: '2025-05-05T10:15:00-05:00',
    },
    { token: adapters.justice.token },
  );
  expect(created.status).toBe(202);
  const ids = eventIdsOf(created.body);
  await waitFor('the referral applied', () => processed(ids), WAIT_MS);
  return (created.body['events'] as { key: string }[])[0]?.key ?? '';
}

async function served(referralId: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${viewApi.url}/v1/referrals/${referralId}`, {
    headers: { authorization: `Bearer ${await token('ministry', 'HEALTH')}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Every file of the database's relations (tables, indexes, TOAST), as PostgreSQL wrote them after a checkpoint. */
async function databaseFiles(): Promise<Buffer> {
  await db.raw('CHECKPOINT');
  const files = (
    await db.raw<{ rows: { path: string }[] }>(
      `SELECT DISTINCT pg_relation_filepath(c.oid) AS path FROM pg_class c
     WHERE c.relkind IN ('r', 't', 'i', 'm') AND pg_relation_filepath(c.oid) IS NOT NULL AND c.relpersistence = 'p'`,
    )
  ).rows;
  const chunks: Buffer[] = [];
  for (const { path } of files) {
    const { rows } = await db.raw<{ rows: { bytes: Buffer | null }[] }>('SELECT pg_read_binary_file(?::text) AS bytes', [path]);
    if (rows[0]?.bytes) chunks.push(rows[0].bytes);
  }
  return Buffer.concat(chunks);
}

/** pg_dump of every schema of the database, as text. */
function dump(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('pg_dump', ['--no-owner', '--dbname', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString('utf8'))
        : reject(new Error(`pg_dump exited ${code}: ${Buffer.concat(err).toString('utf8')}`)),
    );
  });
}

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'security_erasure_canary');
  db = openDatabase(database.url);
  adapters = await startAdapters({ ...stack, databaseUrl: database.url }, ['justice']);
  const groupId = `passerelle-projector-canary-${randomBytes(4).toString('hex')}`;
  // The group starts at the topic's end: the projector folds what this file sends.
  const client = admin.admin();
  await client.connect();
  const ends = await client.fetchTopicOffsets(REFERRALS_TOPIC);
  await client.setOffsets({
    groupId,
    topic: REFERRALS_TOPIC,
    partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
  });
  await client.disconnect();
  projectorEnv = {
    DATABASE_URL: database.url,
    ...kafkaEnvFor(stack, 'projector'),
    PASSERELLE_REGISTRY_URL: stack.registryUrl,
    PASSERELLE_RECORD_KEY_SECRET: 'test-only-record-key-secret-for-erasure-canary-0001',
    PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
    PASSERELLE_CONSUMER_GROUP: groupId,
    PASSERELLE_TOPIC_PATTERN: '^justice\\.referrals\\.v1$',
    LOG_LEVEL: 'warn',
  };
  projector = await start({ ...loadConfig(projectorEnv), port: 0, topicRefreshMs: 1_000 });
  viewApi = await startViewApi(viewApiConfig(database.url), { logger: quiet });
}, 120_000);

afterAll(async () => {
  await viewApi?.stop();
  await projector?.stop();
  await stopAdapters(adapters ?? {});
  await db?.destroy();
  await database?.drop();
});

describe('a withdrawn canary subject can be read nowhere; another subject stays readable and counted', () => {
  let canaryReferral: string;
  let keptReferral: string;
  let canaryPseudonym: string;
  let keptPseudonym: string;

  it('both referrals are served with their pseudonyms before the withdrawal', async () => {
    canaryReferral = await refer(canary);
    keptReferral = await refer(other);
    const first = await served(canaryReferral);
    expect(first.status).toBe(200);
    canaryPseudonym = String(first.body['subjectPseudonym']);
    expect(canaryPseudonym).toMatch(/^[0-9a-f]{64}$/);
    expect(canaryPseudonym).not.toBe(SEALED_PSEUDONYM_PLACEHOLDER);
    keptPseudonym = String((await served(keptReferral)).body['subjectPseudonym']);
    expect(keptPseudonym).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the withdrawal through the adapter is applied: the referral leaves person-level answers, its key is destroyed, a receipt is written', async () => {
    const withdrawn = await post(
      adapters.justice.url,
      '/referrals/consent-withdrawals',
      { referralId: canaryReferral, withdrawnAt: '2025-05-06T09:00:00Z' },
      { token: adapters.justice.token },
    );
    expect(withdrawn.status).toBe(202);
    await waitFor('the withdrawal applied', () => processed(eventIdsOf(withdrawn.body)), WAIT_MS);

    expect((await served(canaryReferral)).status).toBe(404);
    expect(await db('keystore.referral_data_keys').where({ referral_id: canaryReferral }).first()).toMatchObject({ wrapped_key: null });
    expect(await db('keystore.erasure_receipts').where({ referral_id: canaryReferral })).toHaveLength(1);
  });

  it('erasure verify finds nothing of the canary subject', async () => {
    const out: string[] = [];
    const code = await runCli(['erasure', 'verify', canaryReferral], projectorEnv, {
      out: (line) => out.push(line),
      err: (line) => out.push(line),
    });
    expect(code, out.join('\n')).toBe(0);
  });

  it('the topic holds no readable person-level field of the canary: placeholders in the clear, a sealed value no key opens', async () => {
    const messages = (await readTopic(admin, REFERRALS_TOPIC, { timeoutMs: 60_000 })).filter(
      (m) => m.key?.toString('utf8') === canaryReferral,
    );
    expect(messages.length).toBeGreaterThanOrEqual(2);
    const raw = Buffer.concat(messages.map((m) => m.value ?? Buffer.alloc(0)));
    expect(raw.includes(Buffer.from(canaryPseudonym))).toBe(false);
    expect(raw.includes(Buffer.from(canary))).toBe(false);
    const serde = new EventSerde(new RegistryClient({ url: stack.registryUrl }));
    const creation = (await Promise.all(messages.map((m) => serde.decode(m.value as Buffer)))).find((d) => d.type === 'ReferralCreated');
    expect(creation?.type === 'ReferralCreated' && creation.payload.subjectPseudonym).toBe(SEALED_PSEUDONYM_PLACEHOLDER);
    expect(creation?.type === 'ReferralCreated' && creation.payload.sealedSubject).toMatchObject({ algorithm: 'AES_256_GCM' });
    // Nothing can open it: the only key was the one destroyed above.
    expect(await db('keystore.referral_data_keys').where({ referral_id: canaryReferral }).whereNotNull('wrapped_key')).toEqual([]);
  });

  it('a dump of every schema and the database files after a checkpoint, before and after VACUUM, hold no canary-derived value', async () => {
    const text = await dump(database.url);
    expect(text).toContain(keptReferral);
    expect(text).not.toContain(canaryPseudonym);
    expect(text).not.toContain(canary);

    // Before any VACUUM too: the view never held the canary's pseudonym in the clear, so no dead
    // tuple of the purged row carries it (the WAL neither).
    for (const vacuumed of [false, true]) {
      if (vacuumed) await db.raw('VACUUM');
      const files = await databaseFiles();
      expect(files.length).toBeGreaterThan(100_000);
      // The scan sees what the tables hold as text: the kept referral's id in its history body.
      expect(files.includes(Buffer.from(keptReferral))).toBe(true);
      expect(files.includes(Buffer.from(canaryPseudonym)), vacuumed ? 'after VACUUM' : 'before VACUUM').toBe(false);
      expect(files.includes(Buffer.from(canary))).toBe(false);
    }
    // Nor does the pseudonym of the subject still served sit in the clear at rest.
    expect((await databaseFiles()).includes(Buffer.from(keptPseudonym))).toBe(false);
  });

  it('the other subject stays readable and counted', async () => {
    expect((await served(keptReferral)).body['subjectPseudonym']).toMatch(/^[0-9a-f]{64}$/);
    const row = (await db(`view.${VIEW_TABLE.referrals}`).where({ referral_id: canaryReferral }).first()) as Record<string, unknown>;
    expect(row).toMatchObject({ region: 'NORTH_WEST', status: 'REQUESTED', subject_pseudonym: null, indigenous: null });
    expect(Number((await db(`view.${VIEW_TABLE.referrals}`).where({ region: 'NORTH_WEST' }).count({ n: '*' }))[0]?.n)).toBe(2);
  });
});
