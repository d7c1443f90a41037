import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Knex } from 'knex';
import { TEST_KEY_ENCRYPTION_KEY_HEX } from '@passerelle/contracts/testing';
import { createKafka } from '@passerelle/kafka';
import { DEFAULT_TOPIC_PATTERN, loadConfig, start as startProjector, type RunningProjector } from '@passerelle/projector';
import { createTestDatabase, kafkaEnvFor, kafkaOptionsFor, type TestDatabase } from '@passerelle/testing';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, mintDevToken, start as startViewApi, type RunningViewApi } from '@passerelle/view-api';
import { generateYear, type SyntheticYear } from '../../scripts/demo/synthetic-year.ts';
import { sendYear, type YearSendReport } from '../../scripts/demo/year-sender.ts';
import { verifyYear, type Reconciliation } from '../../scripts/demo/year-verify.ts';
import {
  ADAPTER_NAMES,
  openDatabase,
  startAdapters,
  stopAdapters,
  type AdapterName,
  type StartedAdapter,
} from '../adapters/adapter-harness.ts';
import { quiet, SECRET, VIEW_SCHEMA, viewApiConfig } from '../view-api/harness.ts';

/**
 * A small synthetic year through the real stack: the five adapters in-process, the projector
 * folding the ministries' topics into a database of this file's own, the view API publishing
 * from it. Its projector's group starts at the topics' current ends, and the year is one no other
 * suite uses (2017), so the published figures of its window are the year's alone.
 */
const stack = inject('stack');
const REFERRALS = 150;

let database: TestDatabase;
let db: Knex;
let adapters: Record<AdapterName, StartedAdapter>;
let projector: RunningProjector;
let viewApi: RunningViewApi;
let year: SyntheticYear;
let first: YearSendReport;
let reconciliation: Reconciliation;
const lines: string[] = [];
const stamp = (m: string): void => void lines.push(m);

/** A consumer group that starts at the current end of every ministry topic the projector reads. */
async function groupAtTopicEnds(groupId: string): Promise<void> {
  const admin = createKafka(kafkaOptionsFor(stack, 'admin', 'synthetic-year-test')).admin();
  await admin.connect();
  try {
    const pattern = new RegExp(DEFAULT_TOPIC_PATTERN);
    for (const topic of (await admin.listTopics()).filter((t) => pattern.test(t))) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId, topic, partitions: ends.map(({ partition, high }) => ({ partition, offset: high })) });
    }
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'synthetic_year');
  db = openDatabase(database.url);
  const groupId = `passerelle-projector-synthetic-year-${randomBytes(4).toString('hex')}`;
  await groupAtTopicEnds(groupId);
  const config = loadConfig({
    DATABASE_URL: database.url,
    ...kafkaEnvFor(stack, 'projector'),
    PASSERELLE_REGISTRY_URL: stack.registryUrl,
    PASSERELLE_RECORD_KEY_SECRET: 'test-only-record-key-secret-for-the-synthetic-year-0001',
    PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
    PASSERELLE_CONSUMER_GROUP: groupId,
    LOG_LEVEL: 'warn',
  });
  [projector, adapters] = await Promise.all([
    startProjector({ ...config, port: 0, topicRefreshMs: 1_000 }),
    startAdapters({ ...stack, databaseUrl: database.url }),
  ]);
  // Once the projector has created the view it reads.
  viewApi = await startViewApi(viewApiConfig(database.url), { logger: quiet });
  year = generateYear({ seed: 7, referrals: REFERRALS, year: 2017 });
  const targets = Object.fromEntries(ADAPTER_NAMES.map((name) => [name, { url: adapters[name].url, token: adapters[name].token }]));
  first = await sendYear(year, targets, stamp, { progressEveryMs: 2_000 });
  const token = await mintDevToken({ secret: SECRET, issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE, role: 'coordination-office' });
  reconciliation = await verifyYear(year, first, { db, schema: VIEW_SCHEMA, viewApiUrl: viewApi.url, token, timeoutMs: 90_000 }, stamp);
});

afterAll(async () => {
  await viewApi?.stop();
  await stopAdapters(adapters ?? {});
  await projector?.stop();
  await db?.destroy();
  await database?.drop();
});

describe('a synthetic year sent through the adapters', () => {
  it('is accepted whole, with progress lines and a summary', () => {
    expect([...first.refused]).toEqual([]);
    expect(first.skipped).toBe(0);
    expect(first.referralIds.size).toBe(REFERRALS);
    expect(first.accepted).toBe(first.records);
    expect(lines.some((line) => /records sent in \d+ requests/.test(line))).toBe(true);
  });

  it('reaches the view with nothing lost or duplicated, its true counts those generated and its published ones within the bounds', () => {
    expect(reconciliation.mismatches).toEqual([]);
    expect(reconciliation).toMatchObject({ lost: 0, duplicated: 0, illegalTransitions: 0, deadLetters: 0, ok: true });
    expect(reconciliation.eventsApplied).toBe(first.events);
    expect(lines.some((line) => line.includes('referrals by region and status'))).toBe(true);
  });

  it('sent again, is answered with the original acceptances and adds nothing to the view', async () => {
    const targets = Object.fromEntries(ADAPTER_NAMES.map((name) => [name, { url: adapters[name].url, token: adapters[name].token }]));
    const again = await sendYear(year, targets, () => undefined);

    expect(again.replayed).toBe(again.records);
    expect(new Set(again.eventIds)).toEqual(new Set(first.eventIds));
    expect([...again.referralIds]).toEqual(expect.arrayContaining([...first.referralIds]));
    const token = await mintDevToken({ secret: SECRET, issuer: DEFAULT_ISSUER, audience: DEFAULT_AUDIENCE, role: 'coordination-office' });
    const second = await verifyYear(
      year,
      again,
      { db, schema: VIEW_SCHEMA, viewApiUrl: viewApi.url, token, timeoutMs: 30_000 },
      () => undefined,
    );
    expect(second).toMatchObject({ lost: 0, duplicated: 0, ok: true });
  });
});
