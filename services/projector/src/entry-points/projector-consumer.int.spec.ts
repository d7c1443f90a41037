import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { consumerGroupLag } from '@passerelle/kafka';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import { initiativeRowsOf } from '../domain/initiative.projection.ts';
import { comparable } from '../domain/view-model.ts';
import { readViewSnapshot } from '../data-access/view-snapshot.repository.ts';
import { InMemoryView } from '../testing/in-memory-view.ts';
import { generateScenario, inOccurrenceOrder } from '../testing/scenario-generator.ts';
import { startProjectorFixture, TestTopics, waitFor, type ProjectorFixture } from '../testing/stack-harness.ts';
import { serviceGap } from '../testing/event-builders.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

const stack = inject('stack');
const catalogue = loadCatalogue();
const topics = new TestTopics(stack);
const lateTopic = `${topics.prefix}coordination-office.service-gaps.v1`;
let fixture: ProjectorFixture;

const count = async (table: string): Promise<number> =>
  Number(((await fixture.db(`view.${table}`).count({ n: '*' })) as { n: number }[])[0]?.n);

beforeAll(async () => {
  fixture = await startProjectorFixture({ topics, databasePrefix: 'projector_consumer', withoutTopics: [lateTopic] });
});

afterAll(async () => {
  await fixture?.stop();
});

describe('the projector consuming real Kafka into PostgreSQL', () => {
  const events = generateScenario({
    seed: 7,
    referrals: 80,
    gaps: 12,
    milestones: 30,
    initiatives: [...initiativesById(catalogue).values()],
    topicPrefix: topics.prefix,
  }).filter((event) => event.position.topic !== lateTopic);
  const expected = new InMemoryView(initiativeRowsOf(catalogue));
  beforeAll(async () => {
    await expected.apply(inOccurrenceOrder(events));
  });

  it('applies every event produced to the ministry topics, and the view equals the pure projection of those events', async () => {
    await fixture.producer.produce(events);

    await waitFor('every event applied', async () => (await count(VIEW_TABLE.processed_events)) === events.length);

    const actual = await readViewSnapshot(fixture.db, 'view');
    expect(comparable(actual, { withoutPositions: true })).toEqual(comparable(expected.snapshot(), { withoutPositions: true }));
    expect(await count(VIEW_TABLE.dead_letters)).toBe(0);
  });

  it('stores each event with the topic, partition and offset it was read at, and the trace id of its trace', async () => {
    const history = (await fixture
      .db(`view.${VIEW_TABLE.referral_history}`)
      .select('event_id', 'source_topic', 'source_partition', 'source_offset', 'trace_id')) as {
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
    const url = fixture.projector.url;

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
    const before = comparable(await readViewSnapshot(fixture.db, 'view'));
    // Duplicates at new offsets, as a relay that crashed after publishing would produce them.
    await fixture.producer.produce(events.slice(0, 150));
    // Redelivery of everything, as after offsets were lost: a group with no committed offset starts at 0.
    const redelivery = { ...fixture.config, consumerGroup: `${fixture.config.consumerGroup}-again` };
    await fixture.restart(redelivery);
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
    const metrics = await (await fetch(`${fixture.projector.url}/metrics`)).text();
    const duplicates = [...metrics.matchAll(/projector_events_duplicate_total\{event_type="[A-Za-z]+"\} (\d+)/g)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );

    expect(comparable(await readViewSnapshot(fixture.db, 'view'))).toEqual(before);
    expect(await count(VIEW_TABLE.processed_events)).toBe(events.length);
    expect(duplicates).toBe(events.length + 150);
  }, 120_000);

  it('picks up a matching topic created while it runs', async () => {
    const gap = serviceGap();
    const reported = {
      ...gap.reported(Date.UTC(2025, 5, 1), 'COORDINATION_OFFICE'),
      position: { topic: lateTopic, partition: 0, offset: 0 },
    };
    await topics.create([lateTopic]);

    await fixture.producer.produce([reported]);

    await waitFor(
      'the gap reported on the new topic',
      async () => (await fixture.db(`view.${VIEW_TABLE.service_gaps}`).where({ gap_id: gap.gapId })).length === 1,
      60_000,
    );
    expect(fixture.projector.consumer.topics).toContain(lateTopic);
  });
});
