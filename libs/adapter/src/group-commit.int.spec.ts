import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testKeyEncryptionKey } from '@passerelle/contracts/testing';
import { createDatabase, type Knex } from '@passerelle/db';
import { ProblemError } from '@passerelle/http';
import { OUTBOX_TABLE } from '@passerelle/kafka';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { Acceptance, type AcceptanceResult, type NativeRecord } from './acceptance.ts';
import { IDEMPOTENCY_TABLE, SOURCE_IDS_TABLE } from './acceptance.migrations.ts';
import { migrateAdapter } from './adapter-service.ts';
import type { MappingContext } from './canonical-event.ts';
import { serviceGapReportSchema, serviceGapResolutionSchema } from './common/service-gap.schema.ts';
import { gapSourceId, mapServiceGapReport, mapServiceGapResolution } from './common/service-gap.mapper.ts';
import { canonicalJson } from './canonical-json.ts';
import { Pseudonymiser } from './pseudonymiser.ts';
import { testSecret } from '../testing/index.ts';

/**
 * Group commit against a real PostgreSQL: requests sent at the same moment land in one
 * transaction, and each still gets the answer it would get alone, in arrival order.
 */
const stack = inject('stack');
const SCHEMA = 'group_commit_test';
const ROUTE = '/service-gaps';

let database: TestDatabase;
let db: Knex;
let pseudonymiser: Pseudonymiser;
let acceptance: Acceptance;
let committed = 0;

const ctx = (): MappingContext => ({
  ministry: 'JUSTICE',
  newId: randomUUID,
  receivedAt: Date.now(),
  trace: { traceparent: null, tracestate: null },
});

const ref = (): string => `GAP-${randomBytes(5).toString('hex').toUpperCase()}`;

/** A gap report as the common route reads it. */
function report(gapReference: string, severity = 'critical'): Record<string, unknown> {
  return {
    gapReference,
    observedAt: '2025-02-20T00:00:00Z',
    region: 'north_west',
    serviceCategory: 'housing',
    severity,
    gapCode: 'no_service_in_region',
  };
}

function reportRecord(body: Record<string, unknown>, label?: string): NativeRecord {
  const parsed = serviceGapReportSchema.parse(body);
  const context = ctx();
  return {
    sourceKey: gapSourceId(parsed.gapReference),
    content: body,
    ...(label ? { label } : {}),
    build: async (ids) => [
      {
        type: 'ServiceGapReported',
        payload: mapServiceGapReport(parsed, await ids.idFor('gap', gapSourceId(parsed.gapReference)), context),
      },
    ],
  };
}

function resolutionRecord(gapReference: string): NativeRecord {
  const parsed = serviceGapResolutionSchema.parse({ gapReference, resolvedAt: '2025-03-09T00:00:00Z', resolution: 'service_added' });
  const context = ctx();
  const target = gapSourceId(gapReference);
  return {
    sourceKey: `gap-resolution|${target}`,
    content: parsed,
    build: async (ids) => [
      {
        type: 'ServiceGapResolved',
        payload: mapServiceGapResolution(parsed, await ids.createdIdFor('gap', target, 'gapReference'), context),
      },
    ],
  };
}

/** One POST's worth: its records, its body, its Idempotency-Key. */
function send(records: readonly NativeRecord[], idempotencyKey?: string, content?: unknown): Promise<AcceptanceResult> {
  return acceptance.accept({
    route: ROUTE,
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    content: content ?? records.map((r) => r.content),
    records,
    trace: { traceparent: null, tracestate: null },
  });
}

type Answer = { status: number; replayed?: boolean; eventIds?: string[]; fields?: string[] };

/** The answer the route would give: status, and the event ids or the fields a refusal names. */
async function answerOf(pending: Promise<AcceptanceResult>): Promise<Answer> {
  try {
    const result = await pending;
    return { status: result.status, replayed: result.replayed, eventIds: result.body.events.map((e) => e.eventId) };
  } catch (error) {
    if (error instanceof ProblemError) return { status: error.status, fields: (error.errors ?? []).map((e) => e.field) };
    throw error;
  }
}

const sourceIdOf = (gapReference: string) => pseudonymiser.sourceId('gap', gapSourceId(gapReference));
const recordKeyOf = (record: NativeRecord) => pseudonymiser.sourceId('record', record.sourceKey);
const requestKeyOf = (key: string) => pseudonymiser.sourceId('idempotency-key', `${ROUTE}|${key}`);

async function sourceIdRows(gapReference: string): Promise<number> {
  return Number(
    (
      await db(SOURCE_IDS_TABLE)
        .where({ entity: 'gap', source_hash: sourceIdOf(gapReference) })
        .count({ n: '*' })
    )[0]?.['n'],
  );
}

async function idempotencyRows(keyHash: string): Promise<{ body_hash: string }[]> {
  return (await db(IDEMPOTENCY_TABLE).where({ key_hash: keyHash }).select('body_hash')) as { body_hash: string }[];
}

async function outboxEventIds(): Promise<string[]> {
  return (await db(OUTBOX_TABLE).orderBy('id').pluck('event_id')) as string[];
}

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'group_commit');
  db = createDatabase({ url: database.url, schema: SCHEMA });
  await migrateAdapter(db, SCHEMA);
  pseudonymiser = new Pseudonymiser(testSecret());
  // A window long enough that every request sent in one tick joins the same group, whatever the machine.
  acceptance = new Acceptance({
    db,
    ministry: 'JUSTICE',
    pseudonymiser,
    keyEncryptionKey: testKeyEncryptionKey(),
    onCommitted: () => (committed += 1),
    groupCommit: { windowMs: 200, maxGroupSize: 64 },
  });
});

afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

describe('group commit', () => {
  it('gives each request of one group its own answer, as if they had come one after the other, and writes only what it accepted', async () => {
    // Accepted before the group: a gap, under an Idempotency-Key.
    const earlierRef = ref();
    const earlier = reportRecord(report(earlierRef));
    const earlierAnswer = await answerOf(send([earlier], 'key-earlier', { first: true }));
    expect(earlierAnswer).toMatchObject({ status: 202, replayed: false });
    const outboxBefore = await outboxEventIds();
    const before = acceptance.groupStats;

    const [fresh1, fresh2, twice, changed1, changed2, resolvedInGroup] = [ref(), ref(), ref(), ref(), ref(), ref()];
    const [refusedByKey, refusedByDangling, unknownGap] = [ref(), ref(), ref()];
    const requests = {
      fresh: send([reportRecord(report(fresh1))]),
      freshWithKey: send([reportRecord(report(fresh2))], 'key-fresh'),
      conflicting: send([reportRecord(report(earlierRef, 'moderate'), 'body')]),
      replayedRecord: send([reportRecord(report(earlierRef))]),
      replayedKey: send([earlier], 'key-earlier', { first: true }),
      keyReusedOtherBody: send([reportRecord(report(refusedByKey))], 'key-earlier', { first: false }),
      dangling: send([resolutionRecord(unknownGap)]),
      danglingAfterAGap: send([reportRecord(report(refusedByDangling)), resolutionRecord(unknownGap)]),
      sameRecordFirst: send([reportRecord(report(twice))]),
      sameRecordAgain: send([reportRecord(report(twice))]),
      sameIdFirst: send([reportRecord(report(changed1))]),
      sameIdOtherContent: send([reportRecord(report(changed1, 'moderate'), 'body')]),
      reportInGroup: send([reportRecord(report(resolvedInGroup))]),
      resolutionInGroup: send([resolutionRecord(resolvedInGroup)]),
      keyTwiceFirst: send([reportRecord(report(changed2))], 'key-twice', { n: 1 }),
      keyTwiceOtherBody: send([reportRecord(report(ref()))], 'key-twice', { n: 2 }),
    };
    const names = Object.keys(requests) as (keyof typeof requests)[];
    const answers = Object.fromEntries(
      await Promise.all(names.map(async (name) => [name, await answerOf(requests[name])] as const)),
    ) as Record<keyof typeof requests, Answer>;

    // They formed one group, which the refusals sent one by one.
    const after = acceptance.groupStats;
    expect(after.groups - before.groups).toBe(1);
    expect(after.largestGroup).toBe(names.length);
    expect(after.oneByOne - before.oneByOne).toBe(1);

    expect(answers.fresh).toMatchObject({ status: 202, replayed: false });
    expect(answers.freshWithKey).toMatchObject({ status: 202, replayed: false });
    expect(answers.conflicting).toEqual({ status: 409, fields: ['body'] });
    expect(answers.replayedRecord).toEqual({ status: 202, replayed: true, eventIds: earlierAnswer.eventIds });
    expect(answers.replayedKey).toEqual({ status: 202, replayed: true, eventIds: earlierAnswer.eventIds });
    expect(answers.keyReusedOtherBody).toEqual({ status: 409, fields: ['Idempotency-Key'] });
    expect(answers.dangling).toEqual({ status: 400, fields: ['gapReference'] });
    expect(answers.danglingAfterAGap).toEqual({ status: 400, fields: ['gapReference'] });
    expect(answers.sameRecordFirst).toMatchObject({ status: 202, replayed: false });
    expect(answers.sameRecordAgain).toEqual({ status: 202, replayed: true, eventIds: answers.sameRecordFirst.eventIds });
    expect(answers.sameIdFirst).toMatchObject({ status: 202, replayed: false });
    expect(answers.sameIdOtherContent).toEqual({ status: 409, fields: ['body'] });
    expect(answers.reportInGroup).toMatchObject({ status: 202, replayed: false });
    expect(answers.resolutionInGroup).toMatchObject({ status: 202, replayed: false });
    expect(answers.keyTwiceFirst).toMatchObject({ status: 202, replayed: false });
    expect(answers.keyTwiceOtherBody).toEqual({ status: 409, fields: ['Idempotency-Key'] });

    // Exactly the accepted events reached the outbox, in arrival order, once each.
    const fresh = names.filter((name) => answers[name].status === 202 && answers[name].replayed === false);
    expect(fresh).toEqual([
      'fresh',
      'freshWithKey',
      'sameRecordFirst',
      'sameIdFirst',
      'reportInGroup',
      'resolutionInGroup',
      'keyTwiceFirst',
    ]);
    expect(await outboxEventIds()).toEqual([...outboxBefore, ...fresh.flatMap((name) => answers[name].eventIds ?? [])]);

    // The refused wrote nothing: no source id, no idempotency row for their records or their key.
    expect(await sourceIdRows(refusedByKey)).toBe(0);
    expect(await sourceIdRows(refusedByDangling)).toBe(0);
    expect(await sourceIdRows(unknownGap)).toBe(0);
    expect(await idempotencyRows(recordKeyOf(reportRecord(report(refusedByKey))))).toEqual([]);
    expect(await idempotencyRows(recordKeyOf(reportRecord(report(refusedByDangling))))).toEqual([]);
    expect(await idempotencyRows(recordKeyOf(resolutionRecord(unknownGap)))).toEqual([]);
    // The earlier key still holds the earlier body; the one conflicting content left the first one's fingerprint.
    expect(await idempotencyRows(requestKeyOf('key-earlier'))).toEqual([{ body_hash: pseudonymiser.body(canonicalJson({ first: true })) }]);
    expect(await idempotencyRows(requestKeyOf('key-twice'))).toEqual([{ body_hash: pseudonymiser.body(canonicalJson({ n: 1 })) }]);
    expect(await idempotencyRows(recordKeyOf(reportRecord(report(changed1))))).toEqual([
      { body_hash: pseudonymiser.body(canonicalJson(report(changed1))) },
    ]);
    for (const accepted of [fresh1, fresh2, twice, changed1, changed2, resolvedInGroup]) expect(await sourceIdRows(accepted)).toBe(1);
  });

  it('writes a group of fresh requests together, each request its own rows', async () => {
    const refs = Array.from({ length: 12 }, () => ref());
    const outboxBefore = await outboxEventIds();
    const before = acceptance.groupStats;
    const committedBefore = committed;

    const statements: string[] = [];
    const record = (query: { sql: string }) => statements.push(query.sql);
    db.on('query', record);

    const answers = await Promise.all(
      refs.map((gap, i) => answerOf(send([reportRecord(report(gap))], i % 2 === 0 ? `key-${gap}` : undefined))),
    );
    db.off('query', record);

    // Multi-row statements: one for the twelve source ids, one for the idempotency rows, one for the outbox rows.
    expect(statements.filter((sql) => sql.includes(SOURCE_IDS_TABLE))).toHaveLength(1);
    expect(statements.filter((sql) => sql.includes(IDEMPOTENCY_TABLE))).toHaveLength(1);
    expect(statements.filter((sql) => sql.includes(OUTBOX_TABLE))).toHaveLength(1);

    const after = acceptance.groupStats;
    expect(after.groups - before.groups).toBe(1);
    expect(after.oneByOne).toBe(before.oneByOne);
    expect(answers.every((a) => a.status === 202 && a.replayed === false && a.eventIds?.length === 1)).toBe(true);
    expect(await outboxEventIds()).toEqual([...outboxBefore, ...answers.flatMap((a) => a.eventIds ?? [])]);
    for (const [i, gap] of refs.entries()) {
      expect(await sourceIdRows(gap)).toBe(1);
      expect(await idempotencyRows(recordKeyOf(reportRecord(report(gap))))).toHaveLength(1);
      if (i % 2 === 0) expect(await idempotencyRows(requestKeyOf(`key-${gap}`))).toHaveLength(1);
    }
    expect(committed - committedBefore).toBe(refs.length);
  });

  it('refuses a record naming a gap that only a later request of the same group reports, as one request after the other would', async () => {
    const [first, later, alsoLater] = [ref(), ref(), ref()];
    const before = acceptance.groupStats;

    // Asked for in the same turn as the later request's report: the same statement creates it.
    const [refusedAtOnce, acceptedAtOnce] = await Promise.all([
      answerOf(send([resolutionRecord(alsoLater)])),
      answerOf(send([reportRecord(report(alsoLater))])),
    ]);
    // Asked for after the report of `first` answered, when the later request's report was asked for.
    const [refused, accepted] = await Promise.all([
      answerOf(send([reportRecord(report(first)), resolutionRecord(later)])),
      answerOf(send([reportRecord(report(later))])),
    ]);

    expect(acceptance.groupStats.groups - before.groups).toBe(2);
    expect(refusedAtOnce).toEqual({ status: 400, fields: ['gapReference'] });
    expect(acceptedAtOnce).toMatchObject({ status: 202, replayed: false });
    expect(refused).toEqual({ status: 400, fields: ['gapReference'] });
    expect(accepted).toMatchObject({ status: 202, replayed: false });
    expect(await sourceIdRows(first)).toBe(0);
    expect(await sourceIdRows(later)).toBe(1);
    expect(await sourceIdRows(alsoLater)).toBe(1);
  });

  it('answers two concurrent groups naming the same records in opposite orders: each record accepted once, the other a replay', async () => {
    // A second adapter replica on the same schema, with its own groups.
    const replica = new Acceptance({
      db,
      ministry: 'JUSTICE',
      pseudonymiser,
      keyEncryptionKey: testKeyEncryptionKey(),
      groupCommit: { windowMs: 200, maxGroupSize: 64 },
    });
    const refs = Array.from({ length: 8 }, () => ref());
    const outboxBefore = await outboxEventIds();
    const sendTo = (to: Acceptance, gap: string) =>
      answerOf(
        to.accept({
          route: ROUTE,
          content: report(gap),
          records: [reportRecord(report(gap))],
          trace: { traceparent: null, tracestate: null },
        }),
      );

    // Whatever the interleaving (a wait, or a deadlock PostgreSQL breaks and the group runs again), the answers are the sequential ones.
    const [mine, theirs] = await Promise.all([
      Promise.all(refs.map((gap) => sendTo(acceptance, gap))),
      Promise.all([...refs].reverse().map((gap) => sendTo(replica, gap))),
    ]);

    theirs.reverse();
    for (const [i, gap] of refs.entries()) {
      const pair = [mine[i], theirs[i]] as Answer[];
      expect(pair.map((a) => a.status)).toEqual([202, 202]);
      expect(pair.filter((a) => a.replayed === false)).toHaveLength(1);
      expect(pair[0]?.eventIds).toEqual(pair[1]?.eventIds);
      expect(await sourceIdRows(gap)).toBe(1);
    }
    const written = (await outboxEventIds()).slice(outboxBefore.length);
    expect(written.sort()).toEqual(mine.flatMap((a) => a.eventIds ?? []).sort());
  });

  it('fails every request of a group whose COMMIT fails, and leaves nothing of any of them', async () => {
    const kept = ref();
    const keptAnswer = await answerOf(send([reportRecord(report(kept))]));
    // A deferred constraint: checked at COMMIT, after every request of the group was answered by its statements.
    await db.raw(`CREATE TABLE ${SCHEMA}.fail_at_commit (on_purpose boolean)`);
    await db.raw(`CREATE FUNCTION ${SCHEMA}.refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM ${SCHEMA}.fail_at_commit) THEN RAISE EXCEPTION 'refused at commit' USING ERRCODE = '23514'; END IF;
        RETURN NULL;
      END $$`);
    await db.raw(`CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON ${SCHEMA}.${OUTBOX_TABLE}
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ${SCHEMA}.refuse_at_commit()`);
    await db.raw(`INSERT INTO ${SCHEMA}.fail_at_commit VALUES (true)`);
    const outboxBefore = await outboxEventIds();
    const before = acceptance.groupStats;
    const refs = [ref(), ref(), ref()];

    const failures = await Promise.allSettled([
      send([reportRecord(report(refs[0] as string))]),
      send([reportRecord(report(refs[1] as string))], 'key-doomed'),
      send([reportRecord(report(kept))]),
      send([reportRecord(report(kept, 'moderate'))]),
      send([reportRecord(report(refs[2] as string)), resolutionRecord(ref())]),
    ]);

    await db.raw(`DELETE FROM ${SCHEMA}.fail_at_commit`);
    expect(acceptance.groupStats.groups).toBe(before.groups);
    expect(failures.map((f) => f.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
    expect(failures.map((f) => (f.status === 'rejected' ? (f.reason as { code?: string }).code : undefined))).toEqual(
      Array(5).fill('23514'),
    );
    expect(await outboxEventIds()).toEqual(outboxBefore);
    for (const gap of refs) expect(await sourceIdRows(gap)).toBe(0);
    expect(await idempotencyRows(requestKeyOf('key-doomed'))).toEqual([]);

    // Nothing was left: sent again, they are accepted as new, and the earlier record is still a replay.
    const again = await Promise.all([
      answerOf(send([reportRecord(report(refs[0] as string))])),
      answerOf(send([reportRecord(report(refs[1] as string))], 'key-doomed')),
      answerOf(send([reportRecord(report(kept))])),
    ]);
    expect(again.map((a) => [a.status, a.replayed])).toEqual([
      [202, false],
      [202, false],
      [202, true],
    ]);
    expect(again[2]?.eventIds).toEqual(keptAnswer.eventIds);
  });
});
