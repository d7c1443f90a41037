import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Knex } from '@passerelle/db';
import { consumerGroupLag } from '@passerelle/kafka';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import { freePort, createTestDatabase, processGroupGone, type TestDatabase } from '@passerelle/testing';
import { initiativeRowsOf } from './domain/initiative.projection.ts';
import { comparable } from './domain/view-model.ts';
import { readViewSnapshot } from './data-access/view-snapshot.repository.ts';
import { InMemoryView } from './testing/in-memory-view.ts';
import { generateScenario, inOccurrenceOrder } from './testing/scenario-generator.ts';
import { EventProducer, REPO_ROOT, TestTopics, waitFor } from './testing/stack-harness.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

const stack = inject('stack');
const catalogue = loadCatalogue();
const topics = new TestTopics(stack);
const groupId = `projector-crash-${topics.prefix.slice(1, -1)}`;
let database: TestDatabase;
let db: Knex;
let producer: EventProducer;
const children: ChildProcess[] = [];

/** The projector as `npm start` runs it: its own process, configured by the environment. */
async function spawnProjector(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(REPO_ROOT, 'services/projector/src/main.ts')], {
    cwd: path.join(REPO_ROOT, 'services/projector'),
    env: {
      ...process.env,
      ...topics.env(database.url, groupId),
      PORT: String(port),
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${stack.zipkinUrl}/api/v2/spans`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: tsx runs the projector in a child node process, and a SIGKILL must reach both.
    detached: true,
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

/** SIGKILL to the whole process group (tsx and the node process running the projector), then wait until none is left. */
async function killHard(child: ChildProcess): Promise<NodeJS.Signals | null> {
  const done = exited(child);
  process.kill(-(child.pid as number), 'SIGKILL');
  const { signal } = await done;
  await processGroupGone('every process of the group gone', child.pid as number);
  return signal;
}

const exited = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
    : new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

const processed = async (): Promise<number> => {
  const exists =
    (await db('information_schema.tables').where({ table_schema: 'view', table_name: VIEW_TABLE.processed_events })).length > 0;
  return exists ? Number(((await db(`view.${VIEW_TABLE.processed_events}`).count({ n: '*' })) as { n: number }[])[0]?.n) : 0;
};

/** A transaction of the projector open right now: killing at this moment kills it in the middle of a batch. */
const inTransaction = async (): Promise<boolean> =>
  (
    await db('pg_stat_activity')
      .where({ datname: database.name, application_name: 'passerelle-projector' })
      .whereIn('state', ['active', 'idle in transaction'])
      .whereNot('query', 'like', '%pg_stat_activity%')
  ).length > 0;

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'projector_crash');
  db = createDatabase({ url: database.url });
  await topics.create([...topics.ministryTopics(), topics.deadLetterTopic]);
  producer = new EventProducer(topics.kafka, stack);
  await producer.connect();
});

afterAll(async () => {
  for (const child of children) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await producer?.disconnect();
  await db?.destroy();
  await topics.deleteAll();
  await database?.drop();
});

describe('the projector killed with SIGKILL in the middle of batches', () => {
  const events = generateScenario({
    seed: 2024,
    referrals: 2500,
    gaps: 150,
    milestones: 300,
    initiatives: [...initiativesById(catalogue).values()],
    topicPrefix: topics.prefix,
  });
  const expected = new InMemoryView(initiativeRowsOf(catalogue));
  beforeAll(async () => {
    await expected.apply(inOccurrenceOrder(events));
  });

  it('loses no event and applies none twice across six kills and restarts: the view equals the pure projection', async () => {
    // The last 15 % are published only after the last kill, so the final run always has events to apply.
    const head = events.slice(0, Math.floor(events.length * 0.85));
    await producer.produce(head);
    const kills: { at: number; inTransaction: boolean; appliedButNotCommitted: number }[] = [];
    const admin = topics.kafka.admin();
    await admin.connect();
    // Applied to PostgreSQL but not yet committed to Kafka: what the next run receives again and must drop.
    const uncommitted = async (applied: number) =>
      applied - (await consumerGroupLag(admin, groupId, topics.ministryTopics())).reduce((sum, p) => sum + p.committed, 0);
    const began = Date.now();

    // Six kills, each waiting for an open batch transaction: SIGKILL in the middle of a batch.
    for (const fraction of [0.1, 0.2, 0.3, 0.45, 0.6, 0.75]) {
      const { child, output } = await spawnProjector();
      const threshold = Math.floor(events.length * fraction);
      await waitFor(
        `${threshold} events applied (projector output: ${output().slice(-500)})`,
        async () => (await processed()) >= threshold,
        90_000,
        20,
      );
      // Wait (briefly) for a moment when a batch transaction is open, then kill without warning.
      const deadline = Date.now() + 3_000;
      let open = await inTransaction();
      while (!open && Date.now() < deadline) open = await inTransaction();
      expect(await killHard(child)).toBe('SIGKILL');
      const at = await processed();
      kills.push({ at, inTransaction: open, appliedButNotCommitted: await uncommitted(at) });
    }

    await producer.produce(events.slice(head.length));
    const final = await spawnProjector();
    const finalStartedAt = new Date();
    const fromCount = await processed();
    // Throughput of the last run, from its first applied event (after tsx start-up and the group's rebalance).
    await waitFor('the restarted projector to apply', async () => (await processed()) > fromCount, 60_000, 20);
    const resumedAt = Date.now();
    const resumedFrom = await processed();
    await waitFor('every event applied after the last restart', async () => (await processed()) === events.length, 120_000, 50);
    const lastRunMs = Date.now() - resumedAt;
    await sleep(1_500); // anything applied twice would show up now
    const ready = await waitFor('the restarted projector to answer /readyz', () => fetch(`${final.url}/readyz`).catch(() => undefined));
    const metrics = await (await fetch(`${final.url}/metrics`)).text();
    const redelivered = [...metrics.matchAll(/projector_events_duplicate_total\{event_type="[A-Za-z]+"\} (\d+)/g)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    final.child.kill('SIGTERM');
    const stopped = await exited(final.child);

    await admin.disconnect();
    const actual = await readViewSnapshot(db, 'view');
    expect(actual.processed_events).toHaveLength(events.length);
    expect(comparable(actual, { withoutPositions: true })).toEqual(comparable(expected.snapshot(), { withoutPositions: true }));
    expect(kills.filter((kill) => kill.inTransaction).length).toBeGreaterThan(0);
    // Whether a kill lands between a batch's database commit and its offsets' commit is timing: on a
    // slow machine every batch commits its offsets at once and none does. Reported, not asserted; the
    // redelivery of applied events is proven deterministically by projector-consumer.int.spec.ts
    // ("applies nothing twice when every message is delivered again").
    console.log(`[projector-crash] kills: ${JSON.stringify(kills)}`);
    expect(ready.status).toBe(200);
    expect(stopped).toEqual({ code: 0, signal: null });

    // The last run flushed its spans on SIGTERM: an event it applied has a consumer span in
    // Zipkin, child of the producer span named in the message's traceparent header.
    const [late] = (await db(`view.${VIEW_TABLE.processed_events}`)
      .where('processed_at', '>', finalStartedAt)
      .limit(1)
      .pluck('event_id')) as string[];
    const event = events.find((e) => e.eventId === late);
    const traceparent = (event?.payload as { envelope: { traceparent: string } }).envelope.traceparent;
    // The scenario's seed fixes its trace ids, so Zipkin also holds earlier runs' spans of this trace: only this run's group counts.
    const ofThisRun = (span: { kind?: string; localEndpoint?: { serviceName?: string }; tags?: Record<string, string> }) =>
      span.localEndpoint?.serviceName === 'projector' &&
      span.kind === 'CONSUMER' &&
      span.tags?.['messaging.consumer.group.name'] === groupId;
    const spans = await waitFor(
      'the consumer span in Zipkin',
      async () => {
        const response = await fetch(`${stack.zipkinUrl}/api/v2/trace/${event?.traceId}`);
        const found = response.ok
          ? ((await response.json()) as {
              parentId?: string;
              kind?: string;
              localEndpoint?: { serviceName?: string };
              tags?: Record<string, string>;
            }[])
          : [];
        return found.some(ofThisRun) && found;
      },
      30_000,
      500,
    );
    const consumerSpan = spans.find((span) => ofThisRun(span) && span.tags?.['passerelle.projector.outcome'] === 'applied');
    expect(consumerSpan?.parentId).toBe(traceparent.split('-')[2]);
    expect(consumerSpan?.tags).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': event?.position.topic,
      'messaging.consumer.group.name': groupId,
    });
    console.log(
      JSON.stringify({
        events: events.length,
        kills,
        totalSeconds: (Date.now() - began) / 1000,
        redeliveredAndDroppedInLastRun: redelivered,
        lastRun: {
          events: events.length - resumedFrom,
          seconds: lastRunMs / 1000,
          eventsPerSecond: Math.round(((events.length - resumedFrom) / lastRunMs) * 1000),
        },
      }),
    );
  }, 400_000);
});
