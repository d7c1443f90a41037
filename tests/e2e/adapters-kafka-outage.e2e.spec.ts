import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import {
  adminConnectionOf,
  applyAcls,
  applyTopics,
  down,
  endpointsOf,
  loadStackConfig,
  up,
  type StackConfig,
  type StackEndpoints,
} from '@passerelle/infra';
import { post } from '@passerelle/adapter/testing';
import { allMinistryTopics } from '@passerelle/contracts';
import { freePort, createTestDatabase, type TestDatabase } from '@passerelle/testing';
import {
  ADAPTER_NAMES,
  consumeEventIds,
  eventIdsOf,
  openDatabase,
  startAdapters,
  stopAdapters,
  type AdapterName,
  type StartedAdapter,
} from '../adapters/adapter-harness.ts';

interface Submission {
  readonly adapter: AdapterName;
  readonly path: string;
  readonly body: unknown;
  readonly contentType?: string;
}

/** A varied load for every adapter; `tag` keeps source ids unique per round. */
function submissions(tag: string, day: number): Submission[] {
  const at = `2025-03-${String(day).padStart(2, '0')}T10:00:00Z`;
  const list: Submission[] = [];
  for (let i = 0; i < 5; i += 1) {
    list.push({
      adapter: 'justice',
      path: '/referrals',
      body: {
        referralNumber: `VWAP-${tag}-${i}`,
        program: 'vwap',
        victim: { personId: `JP-${tag}-${i}` },
        referredTo: { serviceType: 'community_agency' },
        supportNeeded: 'housing',
        region: 'toronto',
        urgency: 'routine',
        consent: 'standard',
        referredAt: at,
      },
    });
    list.push({
      adapter: 'child-welfare',
      path: '/referrals',
      body: {
        agencyCode: 'CASO',
        casReference: `CASO-${tag}-${i}`,
        child: { childId: `CW-${tag}-${i}` },
        legalStatus: 'in_care',
        serviceRequested: 'housing',
        receivingServiceType: 'community_agency',
        region: 'east',
        responseTime: '7_days',
        consentScope: 'standard',
        referralDate: '2025-03-05',
      },
    });
    list.push({
      adapter: 'health',
      path: '/fhir/ServiceRequest',
      contentType: 'application/fhir+json',
      body: {
        resourceType: 'ServiceRequest',
        id: `sr-${tag}-${i}`,
        status: 'active',
        intent: 'order',
        subject: { reference: `Patient/p-${tag}-${i}` },
        extension: [{ url: 'https://passerelle.ontario.example/fhir/StructureDefinition/service-region', valueCode: 'east' }],
      },
    });
    list.push({
      adapter: 'education',
      path: '/referrals',
      body: {
        boardNumber: 'B66052',
        boardReferralId: `TDSB-${tag}-${i}`,
        student: { oen: `10000000${i}` },
        referredTo: { serviceType: 'community_agency' },
        supportNeeded: 'mental_health',
        region: 'toronto',
        urgency: 'priority',
        consent: 'standard',
        referredOn: at,
      },
    });
  }
  list.push({
    adapter: 'justice',
    path: '/referrals/status-changes',
    body: { referralNumber: `VWAP-${tag}-0`, status: 'accepted', changedAt: at },
  });
  list.push({
    adapter: 'justice',
    path: '/referrals/batch',
    contentType: 'text/csv',
    body: `referral_number,program,person_id,receiving_service_type,support_needed,region,urgency,consent,referred_at\n${[0, 1, 2].map((r) => `CS-${tag}-${r},court_support,JP-B-${tag}-${r},community_agency,counselling,west,routine,standard,2025-03-05`).join('\n')}\n`,
  });
  list.push({
    adapter: 'health',
    path: '/fhir/Task',
    contentType: 'application/fhir+json',
    body: {
      resourceType: 'Task',
      id: `t-${tag}`,
      status: 'cancelled',
      intent: 'order',
      focus: { reference: `ServiceRequest/sr-${tag}-1` },
      statusReason: {
        coding: [{ system: 'https://passerelle.ontario.example/fhir/CodeSystem/referral-status-reason', code: 'consent-withdrawn' }],
      },
      lastModified: at,
    },
  });
  list.push({
    adapter: 'education',
    path: '/service-gaps',
    body: {
      gapReference: `EDU-GAP-${tag}`,
      observedAt: at,
      region: 'north_east',
      serviceCategory: 'housing',
      severity: 'high',
      gapCode: 'capacity_exceeded',
    },
  });
  list.push({
    adapter: 'education',
    path: '/initiative-milestones',
    body: { initiativeId: 'S2016-P1-03', status: 'started', recordedAt: at, measure: { unit: 'sessions_delivered', quantity: day } },
  });
  list.push({
    adapter: 'coordination-office',
    path: '/initiative-milestones',
    body: { initiativeId: 'S2016-P4-06', status: 'at_risk', recordedAt: at },
  });
  return list;
}

describe('adapters during a Kafka outage', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-outage-'));
  const stack = inject('stack');
  const lines: string[] = [];
  const log = (message: string): void => void lines.push(message);
  let config: StackConfig;
  let endpoints: StackEndpoints;
  let database: TestDatabase;
  let db: Knex;
  let adapters: Record<AdapterName, StartedAdapter> | undefined;

  beforeAll(async () => {
    // A private broker: the shared one serves other engineers' tests and is never stopped.
    config = loadStackConfig({
      PASSERELLE_HOME: home,
      PASSERELLE_KAFKA_PORT: String(await freePort()),
      PASSERELLE_KAFKA_CONTROLLER_PORT: String(await freePort()),
      PASSERELLE_KAFKA_METRICS_PORT: String(await freePort()),
      DATABASE_URL: stack.databaseUrl,
    });
    await up(config, log, ['kafka']);
    // The private broker requires SASL/SCRAM like the shared one: topics and ACLs as admin.
    endpoints = endpointsOf(config);
    const applied = await applyTopics(adminConnectionOf(endpoints));
    expect(applied.drift).toEqual([]);
    expect((await applyAcls(adminConnectionOf(endpoints))).drift).toEqual({ missing: [], unexpected: [] });
    database = await createTestDatabase(stack.databaseUrl, 'adapters_outage');
    db = openDatabase(database.url);
    adapters = await startAdapters({
      databaseUrl: database.url,
      kafkaBrokers: endpoints.kafkaBrokers,
      kafkaCredentials: endpoints.kafkaCredentials,
      // The private broker's certificate comes from its own CA, not the shared stack's.
      kafkaCaFile: endpoints.kafkaCaFile,
      registryUrl: stack.registryUrl,
    });
  });

  afterAll(async () => {
    await stopAdapters(adapters ?? {});
    await db?.destroy();
    await database?.drop();
    if (config) await down(config, log, ['kafka']);
    fs.rmSync(home, { recursive: true, force: true });
  });

  async function send(list: readonly Submission[]): Promise<string[]> {
    const ids: string[] = [];
    for (const s of list) {
      const adapter = adapters![s.adapter];
      const answer = await post(adapter.url, s.path, s.body, {
        token: adapter.token,
        ...(s.contentType ? { contentType: s.contentType } : {}),
      });
      expect(answer.status, `${s.adapter} ${s.path}: ${JSON.stringify(answer.body)}`).toBe(202);
      ids.push(...eventIdsOf(answer.body));
    }
    return ids;
  }

  async function unpublished(): Promise<number> {
    const counts = await Promise.all(
      ADAPTER_NAMES.map(async (name) =>
        Number((await db.withSchema(adapters![name].schema).table('outbox').whereNull('published_at').count({ n: '*' }))[0]?.['n'] ?? 0),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Waits until the adapter's relay has counted a failed publish, and returns the count. */
  async function publishFailures(url: string, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let count = 0;
    while (Date.now() < deadline) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      count = Number(/^outbox_publish_failures_total (\d+)/m.exec(metrics)?.[1] ?? 0);
      if (count > 0) break;
      await sleep(500);
    }
    return count;
  }

  async function drained(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await unpublished()) === 0) return true;
      await sleep(500);
    }
    return false;
  }

  it('keeps answering 202 while Kafka is stopped, then publishes every accepted record exactly once after it restarts', async () => {
    const before = await send(submissions('a', 5));
    expect(await drained(60_000), 'rows accepted with Kafka up were published').toBe(true);

    await down(config, log, ['kafka']);
    const during = await send(submissions('b', 6));
    const ready = await fetch(`${adapters!.justice.url}/readyz`);
    const readiness = (await ready.json()) as { checks: { name: string; ok: boolean }[] };
    const failures = await publishFailures(adapters!.justice.url, 60_000);
    const waiting = await unpublished();

    expect(ready.status).toBe(200);
    expect(readiness.checks.find((c) => c.name === 'kafka')?.ok).toBe(false);
    expect(failures, 'the relay tried, failed, and kept the rows for later').toBeGreaterThan(0);
    expect(waiting).toBe(during.length);

    await up(config, log, ['kafka']);
    expect(await drained(90_000), 'the outbox drained after Kafka came back').toBe(true);
    const accepted = [...before, ...during];
    const topics =
      (await applyTopics(adminConnectionOf(endpoints))).drift.length === 0 ? allMinistryTopics().map((topic) => topic.name) : [];
    const messages = await consumeEventIds(endpoints, topics, new Set(accepted), 60_000, 3_000);

    expect(during.length).toBeGreaterThanOrEqual(25);
    expect(new Set(accepted).size).toBe(accepted.length);
    expect(messages).toHaveLength(accepted.length);
    expect(new Set(messages.map((m) => m.eventId))).toEqual(new Set(accepted));
  }, 240_000);
});
