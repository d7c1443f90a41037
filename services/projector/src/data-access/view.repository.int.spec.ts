import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { testKeyEncryptionKey } from '@passerelle/contracts/testing';
import { createDatabase, type Knex } from '@passerelle/db';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { prepareView } from '../projector.ts';
import { applyEvents, type EventScope } from '../domain/apply-events.ts';
import { initiativeRowsOf } from '../domain/initiative.projection.ts';
import { VIEW_TABLE, type DeadLetterRow } from '@passerelle/coordination-view';
import { comparable, type AcceptedEvent } from '../domain/view-model.ts';
import { InMemoryView } from '../testing/in-memory-view.ts';
import { TEST_RECORD_KEY_SECRET } from '../testing/record-keys.ts';
import { createRng, generateScenario, randomBatches, shuffle } from '../testing/scenario-generator.ts';
import { minute, referral } from '../testing/event-builders.ts';
import { readViewSnapshot } from './view-snapshot.repository.ts';
import type { ViewRepository } from './view.repository.ts';

const stack = inject('stack');
const catalogue = loadCatalogue();
let database: TestDatabase;
let pools: Knex[] = [];

async function freshView(schema: string, members: number): Promise<ViewRepository[]> {
  const repositories: ViewRepository[] = [];
  for (let i = 0; i < members; i++) {
    const db = createDatabase({ url: database.url, schema, poolMax: 4 });
    pools.push(db);
    repositories.push(
      await prepareView(db, schema, { recordKeySecret: TEST_RECORD_KEY_SECRET, keyEncryptionKey: testKeyEncryptionKey(), catalogue }),
    );
  }
  return repositories;
}

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'projector_repository');
});

afterAll(async () => {
  await Promise.all(pools.map((db) => db.destroy()));
  pools = [];
  await database?.drop();
});

describe('the view repository', () => {
  it('gives the pure projection when four consumers apply batches about the same referrals at the same time', async () => {
    const events = generateScenario({
      seed: 5,
      referrals: 40,
      gaps: 8,
      milestones: 30,
      initiatives: [...initiativesById(catalogue).values()],
    });
    const members = await freshView('view_concurrent', 4);
    const rng = createRng(5);
    // Each member gets a random quarter of the events, in random batches: the same referral is folded by several at once.
    const shares: AcceptedEvent[][] = [[], [], [], []];
    for (const event of shuffle(rng, events)) shares[rng.int(0, 3)]?.push(event);

    await Promise.all(
      members.map(async (repository, i) => {
        for (const batch of randomBatches(rng, shares[i] ?? [], 12)) await applyEvents(repository, batch, [], Date.now());
      }),
    );

    const expected = new InMemoryView(initiativeRowsOf(catalogue));
    await expected.apply(events);
    const actual = await readViewSnapshot(pools[0] as Knex, 'view_concurrent');
    expect(comparable(actual)).toEqual(comparable(expected.snapshot()));
  });

  it('publishes a dead letter a rebuild only recorded once the live consumer reaches it, and only once', async () => {
    const [repository] = await freshView('view_dead_letters', 1);
    const letter = (published: boolean): DeadLetterRow => ({
      source_topic: 'justice.referrals.v1',
      source_partition: 1,
      source_offset: 42,
      reason_code: 'wrong_magic_byte',
      reason: 'message starts with byte 255',
      event_id: null,
      event_type: null,
      published,
      dead_lettered_at: Date.now(),
    });
    const position = [{ topic: 'justice.referrals.v1', partition: 1, offset: 42 }];

    const byRebuild = await applyEvents(repository as ViewRepository, [], [letter(false)], 1);
    const publishedAfterRebuild = await repository?.publishedDeadLetters(position);
    const byLive = await applyEvents(repository as ViewRepository, [], [letter(true)], 2);
    const again = await applyEvents(repository as ViewRepository, [], [letter(true)], 2);

    expect(byRebuild?.deadLetters).toHaveLength(1);
    expect(publishedAfterRebuild?.size).toBe(0);
    expect(byLive?.deadLetters).toHaveLength(1);
    expect(again?.deadLetters).toHaveLength(0);
    expect((await repository?.publishedDeadLetters(position))?.size).toBe(1);
  });

  it('writes every history row of a chunk in one statement and asks for one tracing context per trace, not per event', async () => {
    const [repository] = await freshView('view_scoped', 1);
    const traceA = 'a'.repeat(32);
    const traceB = 'b'.repeat(32);
    const [first, second, third, untraced] = [referral(), referral(), referral(), referral()];
    const events = [
      { ...(first?.created(minute(0)) as AcceptedEvent), traceId: traceA },
      { ...(second?.created(minute(1)) as AcceptedEvent), traceId: traceA },
      { ...(third?.created(minute(2)) as AcceptedEvent), traceId: traceB },
      untraced?.created(minute(3)) as AcceptedEvent,
    ];
    const asked: string[] = [];
    // Every event with a trace id is traced here: its context is that of a remote apply span.
    const scopeOf: EventScope = (eventId) => {
      asked.push(eventId);
      const traceId = events.find((e) => e.eventId === eventId)?.traceId as string;
      return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId: '1'.repeat(16), traceFlags: 1, isRemote: true });
    };

    const result = await applyEvents(repository as ViewRepository, events, [], Date.now(), scopeOf);
    const stored = (await pools[pools.length - 1]?.(`view_scoped.${VIEW_TABLE.referral_history}`).select('event_id', 'trace_id')) as {
      event_id: string;
      trace_id: string | null;
    }[];

    expect(result.applied).toHaveLength(4);
    expect(new Map(stored.map((row) => [row.event_id, row.trace_id]))).toEqual(new Map(events.map((e) => [e.eventId, e.traceId])));
    // One span per trace: A's two events share one; the untraced event is never asked about.
    expect(asked).toHaveLength(2);
    expect(asked).toContain(events[2]?.eventId);
    expect(asked).not.toContain(events[3]?.eventId);
  });

  it('retries a transaction PostgreSQL picked as a deadlock victim, and says so each time', async () => {
    const db = createDatabase({ url: database.url, schema: 'view_retried', poolMax: 2 });
    pools.push(db);
    const retries: [string, number][] = [];
    const repository = await prepareView(db, 'view_retried', {
      recordKeySecret: TEST_RECORD_KEY_SECRET,
      keyEncryptionKey: testKeyEncryptionKey(),
      catalogue,
      onRetry: (sqlState, attempt) => retries.push([sqlState, attempt]),
    });
    let attempts = 0;

    const result = await repository.transaction(async () => {
      attempts++;
      if (attempts < 3) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      return 'applied';
    });
    const refused = repository.transaction(async () => {
      throw Object.assign(new Error('syntax error'), { code: '42601' });
    });

    expect(result).toBe('applied');
    expect(retries).toEqual([
      ['40P01', 1],
      ['40P01', 2],
    ]);
    await expect(refused).rejects.toThrow('syntax error');
    expect(retries).toHaveLength(2);
  });
});
