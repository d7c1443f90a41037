import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Knex } from '@passerelle/db';
import { consumerGroupLag } from '@passerelle/kafka';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { start, type RunningProjector } from '../projector.ts';
import { initiativeRowsOf } from '../domain/initiative.projection.ts';
import { comparable } from '../domain/view-model.ts';
import { readViewSnapshot } from '../data-access/view-snapshot.repository.ts';
import { InMemoryView } from '../testing/in-memory-view.ts';
import { generateScenario, inOccurrenceOrder } from '../testing/scenario-generator.ts';
import { EventProducer, TestTopics, waitFor } from '../testing/stack-harness.ts';
import { serviceGap } from '../testing/event-builders.ts';
import type { ProjectorConfig } from '../config.ts';

const stack = inject('stack');
const catalogue = loadCatalogue();
const topics = new TestTopics(stack);
const lateTopic = `${topics.prefix}coordination-office.service-gaps.v1`;
let database: TestDatabase;
let db: Knex;
let producer: EventProducer;
let config: ProjectorConfig;
let projector: RunningProjector | undefined;

const count = async (table: string): Promise<number> => Number(((await db(`view.${table}`).count({ n: '*' })) as { n: number }[])[0]?.n);

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'projector_consumer');
  db = createDatabase({ url: database.url });
  await topics.create([...topics.ministryTopics([lateTopic]), topics.deadLetterTopic]);
  producer = new EventProducer(topics.kafka, stack);
  await producer.connect();
  config = topics.config(database.url);
  projector = await start(config);
});

afterAll(async () => {
  await projector?.stop();
  await producer?.disconnect();
  await db?.destroy();
  await topics.deleteAll();
  await database?.drop();
});

describe('the projector consuming real Kafka into PostgreSQL', () => {
  const events = generateScenario({ seed: 7, referrals: 80, gaps: 12, milestones: 30, initiatives: [...initiativesById(catalogue).values()], topicPrefix: topics.prefix }).filter(
    (event) => event.position.topic !== lateTopic,
  );
  const expected = new InMemoryView(initiativeRowsOf(catalogue));
  beforeAll(async () => {
    await expected.apply(inOccurrenceOrder(events));
  });

  it('applies every event produced to the ministry topics, and the view equals the pure projection of those events', async () => {
    await producer.produce(events);

    await waitFor('every event applied', async () => (await count('processed_events')) === events.length);

    const actual = await readViewSnapshot(db, 'view');
    expect(comparable(actual, { withoutPositions: true })).toEqual(comparable(expected.snapshot(), { withoutPositions: true }));
    expect(await count('dead_letters')).toBe(0);
  });

  it('stores each event with the topic, partition and offset it was read at, and the trace id of its trace', async () => {
    const history = (await db('view.referral_history').select('event_id', 'source_topic', 'source_partition', 'source_offset', 'trace_id')) as {
      event_id: string;
      source_topic: string;
      source_partition: number;
      source_offset: number;
      trace_id: string;
    }[];
    const byId = new Map(events.map((event) => [event.eventId, event]));

    expect(history.length).toBeGreaterThan(100);
    for (const row of history) {
      const event = byId.get(row.event_id);
      expect(row.source_topic).toBe(event?.position.topic);
      expect(row.trace_id).toBe(event?.traceId);
      expect(row.source_offset).toBeGreaterThanOrEqual(0);
    }
  });

  it('answers its probes and exposes lag, applied events per type and batch duration', async () => {
    const url = projector?.url as string;

    const ready = await fetch(`${url}/readyz`);
    const metrics = await (await fetch(`${url}/metrics`)).text();

    expect(ready.status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(metrics).toMatch(/projector_events_applied_total\{event_type="ReferralCreated"\} \d+/);
    expect(metrics).toMatch(/projector_consumer_lag\{topic="t[0-9a-f]+\.justice\.referrals\.v1",partition="0"\} \d+/);
    expect(metrics).toMatch(/projector_batch_duration_seconds_count \d+/);
    expect(metrics).toMatch(/projector_illegal_transitions\{reason="not_allowed"\} \d+/);
  });

  it('applies nothing twice when every message is delivered again, and duplicates at new offsets are dropped', async () => {
    const before = comparable(await readViewSnapshot(db, 'view'));
    // Duplicates at new offsets, as a relay that crashed after publishing would produce them.
    await producer.produce(events.slice(0, 150));
    await projector?.stop();
    // Redelivery of everything, as after offsets were lost: a group with no committed offset starts at 0.
    const redelivery = { ...config, consumerGroup: `${config.consumerGroup}-again` };
    projector = await start(redelivery);
    const admin = topics.kafka.admin();
    await admin.connect();
    await waitFor(
      'the group to reach the end of every topic again',
      async () => {
        const lag = await consumerGroupLag(admin, redelivery.consumerGroup, topics.ministryTopics([lateTopic]));
        return lag.length > 0 && lag.every((p) => p.lag === 0);
      },
      90_000,
      500,
    );
    await admin.disconnect();
    const metrics = await (await fetch(`${projector.url}/metrics`)).text();
    const duplicates = [...metrics.matchAll(/projector_events_duplicate_total\{event_type="[A-Za-z]+"\} (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);

    expect(comparable(await readViewSnapshot(db, 'view'))).toEqual(before);
    expect(await count('processed_events')).toBe(events.length);
    expect(duplicates).toBe(events.length + 150);
  }, 120_000);

  it('picks up a matching topic created while it runs', async () => {
    const gap = serviceGap();
    const reported = { ...gap.reported(Date.UTC(2025, 5, 1), 'COORDINATION_OFFICE'), position: { topic: lateTopic, partition: 0, offset: 0 } };
    await topics.create([lateTopic]);

    await producer.produce([reported]);

    await waitFor('the gap reported on the new topic', async () => (await db('view.service_gaps').where({ gap_id: gap.gapId })).length === 1, 60_000);
    expect(projector?.consumer.topics).toContain(lateTopic);
  });
});
