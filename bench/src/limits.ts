import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { VERSIONS } from '@passerelle/infra';
import { aggregateKindOf } from '@passerelle/contracts';
import type { Knex } from '@passerelle/db';
import { prepareView, readTableShapes, recordKeyOf, RecordSetStatements } from '@passerelle/projector';
import { spread, percentiles, rate, type Percentiles, type Spread } from './stats.ts';
import { encodeEvents, generateEvents, type BenchEvent, type EncodedEvent } from './events.ts';
import { waitFor, type BenchContext, type Settings } from './context.ts';
import { now, openLoop } from './open-loop.ts';
import { RECORD_KEY_SECRET } from './services.ts';
import { javaClientSecurity, properties } from './connect.ts';
import { TABLE_KEYS, VIEW_TABLE, type StoredRow, type ViewTable } from '@passerelle/coordination-view';

export { now, openLoop };

/** Groups encoded events per topic for kafkajs sendBatch. */
function byTopic(events: readonly EncodedEvent[]) {
  const map = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
  for (const e of events) {
    const list = map.get(e.topic) ?? [];
    list.push({ key: e.key, value: e.value, headers: e.headers });
    map.set(e.topic, list);
  }
  return [...map].map(([topic, messages]) => ({ topic, messages }));
}

/** Sends pre-encoded events in batches, `inFlight` requests at a time, acks=all. */
export async function produceAll(
  ctx: BenchContext,
  events: readonly EncodedEvent[],
  batch: number,
  inFlight = 4,
  clientId = 'passerelle-bench-producer',
): Promise<number> {
  const producer = ctx.kafka('admin', clientId).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const began = now();
  try {
    let next = 0;
    const worker = async () => {
      for (;;) {
        const start = next;
        next += batch;
        if (start >= events.length) return;
        await producer.sendBatch({ acks: -1, topicMessages: byTopic(events.slice(start, start + batch)) });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    return now() - began;
  } finally {
    await producer.disconnect();
  }
}

/** Reads `expected` messages of `topics` from the beginning with a no-op eachBatch; ms from joining the group to the last message. */
export async function consumeAll(ctx: BenchContext, topics: readonly string[], expected: number, groupId: string): Promise<number> {
  const consumer = ctx.kafka('admin', 'passerelle-bench-consumer').consumer({ groupId, maxBytes: 50 * 1024 * 1024, maxWaitTimeInMs: 100 });
  let count = 0;
  let first = 0;
  let last = 0;
  // From the moment the group is joined (the first fetch follows), not from the first batch: one fetch can hold everything.
  consumer.on(consumer.events.GROUP_JOIN, () => {
    first = now();
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }) => {
        count += batch.messages.length;
        last = now();
      },
    });
    await waitFor(`${expected} consumed messages (have ${count})`, async () => count >= expected, 600_000, 20);
    return last - first;
  } finally {
    await consumer.disconnect();
  }
}

export interface KafkaLimit {
  readonly produce: Spread;
  readonly consume: Spread;
  readonly events: number;
}

/** L_kafka: raw kafkajs produce and consume rates of the production payloads, no processing. */
export async function measureKafkaLimit(ctx: BenchContext, settings: Settings): Promise<KafkaLimit> {
  const [events] = [...generateEvents(settings.kafkaEvents, 11, settings.kafkaEvents)];
  const produce: number[] = [];
  const consume: number[] = [];
  for (let run = 1; run <= settings.repeats; run++) {
    const { prefix, topics } = await ctx.createRunTopics(`lk${run}`, settings.partitions);
    const encoded = await encodeEvents(ctx.serde, events ?? [], prefix);
    const produceMs = await produceAll(ctx, encoded, settings.produceBatch);
    const consumeMs = await consumeAll(ctx, topics, encoded.length, `bench-${ctx.runId}-lk${run}`);
    produce.push(rate(encoded.length, produceMs));
    consume.push(rate(encoded.length, consumeMs));
    ctx.log(`  L_kafka run ${run}: produce ${Math.round(produce.at(-1) ?? 0)} ev/s, consume ${Math.round(consume.at(-1) ?? 0)} ev/s`);
  }
  return { produce: spread(produce), consume: spread(consume), events: settings.kafkaEvents };
}

type Row = Record<string, unknown>;
/** Some of a table's columns, named as the view names them (values as the payload gives them). */
type Columns<T extends ViewTable> = Partial<StoredRow<T>>;
type HistoryTable = typeof VIEW_TABLE.referral_history | typeof VIEW_TABLE.initiative_milestones | typeof VIEW_TABLE.service_gap_events;
type AggregateTable = typeof VIEW_TABLE.referrals | typeof VIEW_TABLE.service_gaps;

/** The rows an event lands in, mapped directly (no fold, no transition checks): what the tables take at best. */
function rowsOf(event: BenchEvent, index: number): { processed: Row; history?: [HistoryTable, Row]; upsert?: [AggregateTable, Row] } {
  const p = event.payload as Record<string, unknown> & { envelope: { occurredAt: number; sourceMinistry: string } };
  const at = p.envelope.occurredAt;
  const position = { source_topic: event.topic, source_partition: index % 3, source_offset: index };
  const processed = { event_id: event.eventId, event_type: event.type, ...position } satisfies Columns<'processed_events'>;
  const trace = event.traceparent?.split('-')[1] ?? null;
  const kind = aggregateKindOf(event.type);
  switch (kind) {
    case 'initiative': {
      const measure = p['measure'] as { unit: string; quantity: number } | null;
      return {
        processed,
        history: [
          VIEW_TABLE.initiative_milestones,
          {
            event_id: event.eventId,
            initiative_id: p['initiativeId'],
            status: p['status'],
            measure_unit: measure?.unit ?? null,
            measure_quantity: measure?.quantity ?? null,
            source_ministry: p.envelope.sourceMinistry,
            occurred_at: at,
            ...position,
            trace_id: trace,
          } satisfies Columns<'initiative_milestones'>,
        ],
      };
    }
    case 'gap': {
      const gap = {
        gap_id: p['gapId'],
        status: event.type === 'ServiceGapReported' ? 'OPEN' : 'RESOLVED',
        region: (p['region'] as string) ?? 'UNKNOWN',
        service_category: (p['serviceCategory'] as string) ?? 'UNKNOWN',
        severity: (p['severity'] as string) ?? 'UNKNOWN',
        gap_code: (p['gapCode'] as string) ?? 'UNKNOWN',
        reported_by: p.envelope.sourceMinistry,
        reported_at: at,
        reported_event_id: event.eventId,
      } satisfies Columns<'service_gaps'>;
      return {
        processed,
        history: [
          VIEW_TABLE.service_gap_events,
          {
            event_id: event.eventId,
            gap_id: p['gapId'],
            event_type: event.type,
            source_ministry: p.envelope.sourceMinistry,
            occurred_at: at,
            ...position,
            trace_id: trace,
            payload: p,
          } satisfies Columns<'service_gap_events'>,
        ],
        upsert: [VIEW_TABLE.service_gaps, gap],
      };
    }
    case 'referral': {
      const referral = {
        referral_id: p['referralId'],
        record_key: recordKeyOf(RECORD_KEY_SECRET, p['referralId'] as string),
        status: (p['status'] as string) ?? 'REQUESTED',
        status_changed_at: at,
        referring_ministry: (p['referringMinistry'] as string) ?? 'UNKNOWN',
        receiving_service_type: (p['receivingServiceType'] as string) ?? 'UNKNOWN',
        service_category: (p['serviceCategory'] as string) ?? 'UNKNOWN',
        region: (p['region'] as string) ?? 'UNKNOWN',
        urgency: (p['urgency'] as string) ?? 'UNKNOWN',
        consent_scope: (p['consentScope'] as string) ?? 'UNKNOWN',
        subject_pseudonym: (p['subjectPseudonym'] as string) ?? null,
        created_event_id: event.eventId,
        created_by: p.envelope.sourceMinistry,
        requested_at: at,
        applied_events: 1,
        illegal_transitions: 0,
        last_event_id: event.eventId,
        last_event_at: at,
      } satisfies Columns<'referrals'>;
      return {
        processed,
        history: [
          VIEW_TABLE.referral_history,
          {
            event_id: event.eventId,
            referral_id: p['referralId'],
            event_type: event.type,
            source_ministry: p.envelope.sourceMinistry,
            occurred_at: at,
            ...position,
            trace_id: trace,
            payload: p,
          } satisfies Columns<'referral_history'>,
        ],
        upsert: [VIEW_TABLE.referrals, referral],
      };
    }
    default: {
      const unhandled: never = kind;
      throw new Error(`no rows for aggregate kind ${String(unhandled)}`);
    }
  }
}

/** An aggregate row's primary key value: the last row per key wins within a chunk. */
const keyOf = (table: AggregateTable, row: Row): string => JSON.stringify(TABLE_KEYS[table].map((column) => row[column]));

/**
 * One chunk in one transaction: processed ids, history rows, aggregate upserts (last row per key
 * wins), each table in one statement with the rows as one jsonb value: the fastest batched form
 * found (the projector writes the same way), so the limit is what PostgreSQL takes, not what a
 * query builder does.
 */
async function writeChunk(db: Knex, sql: RecordSetStatements, events: readonly BenchEvent[], base: number): Promise<void> {
  const processed: Row[] = [];
  const history = new Map<HistoryTable, Row[]>();
  const upserts = new Map<AggregateTable, Map<string, Row>>();
  events.forEach((event, i) => {
    const rows = rowsOf(event, base + i);
    processed.push(rows.processed);
    if (rows.history) {
      const [table, row] = rows.history;
      const list = history.get(table);
      if (list) list.push(row);
      else history.set(table, [row]);
    }
    if (rows.upsert) {
      const [table, row] = rows.upsert;
      const map = upserts.get(table) ?? new Map<string, Row>();
      map.set(keyOf(table, row), row);
      upserts.set(table, map);
    }
  });
  const columns = (rows: readonly Row[]) => Object.keys(rows[0] as Row);
  await db.transaction(async (trx) => {
    await trx.raw(sql.insert(VIEW_TABLE.processed_events, columns(processed), 'ON CONFLICT (event_id) DO NOTHING'), [
      JSON.stringify(processed),
    ]);
    for (const [table, rows] of history)
      await trx.raw(sql.insert(table, columns(rows), 'ON CONFLICT (event_id) DO NOTHING'), [JSON.stringify(rows)]);
    // Tables and rows in one fixed order (keys sorted), as the projector writes them: with a referral's
    // events spread over the run, concurrent writers upsert the same rows and would otherwise deadlock.
    for (const [table, byKey] of [...upserts].sort(([a], [b]) => a.localeCompare(b))) {
      const rows = [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
      await trx.raw(sql.insert(table, columns(rows), sql.mergeAll(table, columns(rows), TABLE_KEYS[table])), [JSON.stringify(rows)]);
    }
  });
}

/**
 * writeChunk, again when PostgreSQL aborts it as a deadlock victim or a serialization failure (as the
 * projector retries its transactions): concurrent upserts of the same referrals, which the spread
 * events make common, can still deadlock inside INSERT … ON CONFLICT whatever the row order.
 */
async function writeChunkRetrying(db: Knex, sql: RecordSetStatements, events: readonly BenchEvent[], base: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeChunk(db, sql, events, base);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= 10 || (code !== '40P01' && code !== '40001')) throw error;
    }
  }
}

export interface PgLimit {
  readonly upsert: Spread;
  readonly events: number;
  readonly chunk: number;
  readonly writers: number;
}

/** L_pg: batched upserts of the same events into the projector's own tables (fresh schema per run), no Kafka. */
export async function measurePgLimit(ctx: BenchContext, settings: Settings, chunk = 250, writers = 3): Promise<PgLimit> {
  const events = [...generateEvents(settings.pgEvents, 12)].flat();
  const rates: number[] = [];
  for (let run = 1; run <= settings.repeats; run++) {
    const schema = `bench_${ctx.runId}_lpg${run}`;
    const db = ctx.database(schema, writers + 1);
    await prepareView(db, schema, { recordKeySecret: RECORD_KEY_SECRET });
    const sql = new RecordSetStatements(schema, await readTableShapes(db, schema));
    let next = 0;
    const began = now();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (;;) {
          const start = next;
          next += chunk;
          if (start >= events.length) return;
          await writeChunkRetrying(db, sql, events.slice(start, start + chunk), start);
        }
      }),
    );
    rates.push(rate(events.length, now() - began));
    await db.raw('DROP SCHEMA ?? CASCADE', [schema]);
    ctx.log(`  L_pg run ${run}: ${Math.round(rates.at(-1) ?? 0)} ev/s`);
  }
  return { upsert: spread(rates), events: events.length, chunk, writers };
}

/** The tables rowsOf writes: what the COPY limit loads. */
const EVENT_TABLES = [
  VIEW_TABLE.processed_events,
  VIEW_TABLE.referral_history,
  VIEW_TABLE.referrals,
  VIEW_TABLE.initiative_milestones,
  VIEW_TABLE.service_gap_events,
  VIEW_TABLE.service_gaps,
] as const;

export interface PgCopyLimit {
  readonly copy: Spread;
  readonly events: number;
  readonly rows: number;
}

/**
 * L_pg as PostgreSQL's own limit: the same events' rows loaded with binary COPY into fresh,
 * fully indexed copies of the projector's tables, one COPY per table, all tables at once. The rows
 * are made once (through the record-set path above, untimed) and copied out to binary files; each
 * run times only the COPY in, as the rebuild's baseline does.
 */
export async function measurePgCopyLimit(ctx: BenchContext, settings: Settings, chunk = 1_000): Promise<PgCopyLimit> {
  const events = [...generateEvents(settings.pgEvents, 12)].flat();
  const source = `bench_${ctx.runId}_lpgsrc`;
  const db = ctx.database(source, EVENT_TABLES.length + 1);
  const dir = path.join('/tmp', `passerelle-bench-lpg-${ctx.runId}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
  fs.chmodSync(dir, 0o777);
  const rates: number[] = [];
  let rows = 0;
  try {
    await prepareView(db, source, { recordKeySecret: RECORD_KEY_SECRET });
    const sql = new RecordSetStatements(source, await readTableShapes(db, source));
    for (let start = 0; start < events.length; start += chunk) await writeChunk(db, sql, events.slice(start, start + chunk), start);
    for (const table of EVENT_TABLES) {
      const out = (await db.raw(`COPY ??.?? TO '${dir}/${table}.copy' (FORMAT binary)`, [source, table])) as { rowCount: number };
      rows += out.rowCount;
    }
    for (let run = 1; run <= settings.repeats; run++) {
      const schema = `bench_${ctx.runId}_lpgcopy${run}`;
      const into = ctx.database(schema, EVENT_TABLES.length + 1);
      await prepareView(into, schema, { recordKeySecret: RECORD_KEY_SECRET });
      // Every connection open before the clock starts.
      await Promise.all(EVENT_TABLES.map(() => into.raw('SELECT 1')));
      const began = now();
      await Promise.all(EVENT_TABLES.map((table) => into.raw(`COPY ??.?? FROM '${dir}/${table}.copy' (FORMAT binary)`, [schema, table])));
      rates.push(rate(events.length, now() - began));
      await into.raw('DROP SCHEMA ?? CASCADE', [schema]);
      ctx.log(`  L_pg COPY run ${run}: ${Math.round(rates.at(-1) ?? 0)} ev/s (${rows} rows in ${EVENT_TABLES.length} tables)`);
    }
  } finally {
    await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [source]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { copy: spread(rates), events: events.length, rows };
}

export interface KafkaPerfTest {
  readonly produce: Spread;
  readonly records: number;
  readonly recordSize: number;
  readonly tool: string;
}

/**
 * L_kafka by the broker's own client: Kafka's ProducerPerformance (what bin/kafka-producer-perf-test.sh
 * runs; the stack keeps the distribution's jars under .passerelle/lib/kafka-<version>, not its
 * scripts), acks=all, records of the production payloads' mean size, as fast as it can, over
 * SASL_SSL as the admin principal, like the bench's own clients.
 */
export async function measureKafkaPerfTest(ctx: BenchContext, settings: Settings): Promise<KafkaPerfTest> {
  const [sample] = [...generateEvents(2_000, 11, 2_000)];
  const encoded = await encodeEvents(ctx.serde, sample ?? [], 'size.');
  const recordSize = Math.round(encoded.reduce((n, e) => n + e.value.length, 0) / Math.max(1, encoded.length));
  const records = settings.kafkaEvents * 3;
  const jars = path.join(ctx.home, 'lib', `kafka-${VERSIONS.kafka}`);
  const work = path.join(ctx.home, 'bench', ctx.runId, 'perf-test');
  fs.mkdirSync(work, { recursive: true });
  const config = path.join(work, 'producer.properties');
  // The file holds the principal's password: readable by its owner only, removed afterwards.
  fs.writeFileSync(config, properties({ ...javaClientSecurity(ctx), acks: 'all' }), { mode: 0o600 });
  const rates: number[] = [];
  try {
    for (let run = 1; run <= settings.repeats; run++) {
      const { topics } = await ctx.createRunTopics(`pt${run}`, settings.partitions);
      const output = await new Promise<string>((resolve, reject) => {
        const java = spawn(
          'java',
          [
            '-Xmx512m',
            '-cp',
            `${jars}/*`,
            'org.apache.kafka.tools.ProducerPerformance',
            '--topic',
            topics[0] as string,
            '--num-records',
            String(records),
            '--record-size',
            String(recordSize),
            '--throughput',
            '-1',
            '--producer-props',
            `bootstrap.servers=${ctx.stack.kafkaBrokers.join(',')}`,
            '--producer.config',
            config,
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let text = '';
        java.stdout.on('data', (chunk: Buffer) => (text = (text + chunk.toString()).slice(-8_000)));
        java.stderr.on('data', (chunk: Buffer) => (text = (text + chunk.toString()).slice(-8_000)));
        java.once('error', reject);
        java.once('exit', (code) =>
          code === 0 ? resolve(text) : reject(new Error(`kafka-producer-perf-test exited with ${code}:\n${text.slice(-1_500)}`)),
        );
      });
      // The last summary line: "300000 records sent, 81234.5 records/sec (31.2 MB/sec), …".
      const summary = output
        .split('\n')
        .reverse()
        .find((line) => line.startsWith(`${records} records sent`));
      const perSecond = Number(/([\d.]+) records\/sec/.exec(summary ?? '')?.[1]);
      if (!Number.isFinite(perSecond)) throw new Error(`no summary from kafka-producer-perf-test:\n${output.slice(-1_500)}`);
      rates.push(perSecond);
      ctx.log(`  L_kafka perf-test run ${run}: ${Math.round(perSecond)} records/s (${records} records of ${recordSize} bytes, acks=all)`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return { produce: spread(rates), records, recordSize, tool: `org.apache.kafka.tools.ProducerPerformance ${VERSIONS.kafka}` };
}

export interface LatencyLimit {
  readonly rate: number;
  readonly seconds: number;
  /** 0: one send per message; otherwise one batch every batchMs. */
  readonly batchMs: number;
  readonly runs: readonly Percentiles[];
  readonly p50: Spread;
  readonly p99: Spread;
}

/**
 * Publishes `events` (cycling) at `ratePerSecond` for `seconds`, open loop. With `batchMs` 0 each
 * message is its own send; otherwise every `batchMs` the messages due are sent in one batch, as a
 * relay does. `stamp` sees each message with its send time (and may add headers). Returns how many were sent.
 */
export async function publishAtRate(
  producer: Producer,
  events: readonly EncodedEvent[],
  ratePerSecond: number,
  seconds: number,
  batchMs: number,
  stamp: (event: EncodedEvent, sentAt: number) => Record<string, string> = () => ({}),
): Promise<number> {
  const message = (e: EncodedEvent, at: number) => ({ key: e.key, value: e.value, headers: { ...e.headers, ...stamp(e, at) } });
  if (batchMs <= 0) {
    return openLoop(ratePerSecond, seconds, (i, at) => {
      const e = events[i % events.length] as EncodedEvent;
      return producer.send({ topic: e.topic, acks: -1, messages: [message(e, at)] });
    });
  }
  const total = Math.max(1, Math.round(ratePerSecond * seconds));
  const perTick = (ratePerSecond * batchMs) / 1000;
  await openLoop(1000 / batchMs, seconds, (tick, at) => {
    const from = Math.min(total, Math.round(tick * perTick));
    const to = Math.min(total, Math.round((tick + 1) * perTick));
    if (to <= from) return Promise.resolve();
    const byTopicMessages = new Map<string, ReturnType<typeof message>[]>();
    for (let i = from; i < to; i++) {
      const e = events[i % events.length] as EncodedEvent;
      const list = byTopicMessages.get(e.topic);
      if (list) list.push(message(e, at));
      else byTopicMessages.set(e.topic, [message(e, at)]);
    }
    return producer.sendBatch({ acks: -1, topicMessages: [...byTopicMessages].map(([topic, messages]) => ({ topic, messages })) });
  });
  return total;
}

/**
 * L_lat: produce-to-consume latency with a no-op consumer, at a fixed rate: single sends by
 * default, or batches every `batchMs` (the shape the publish-to-visible runs use).
 */
export async function measureLatencyLimit(ctx: BenchContext, settings: Settings, batchMs = 0): Promise<LatencyLimit> {
  const [events] = [...generateEvents(Math.round(settings.latencyRate * settings.latencySeconds), 13, 1e9)];
  const runs: Percentiles[] = [];
  for (let run = 1; run <= settings.repeats; run++) {
    const { prefix, topics } = await ctx.createRunTopics(`ll${run}`, settings.partitions);
    const encoded = await encodeEvents(ctx.serde, events ?? [], prefix);
    const samples: number[] = [];
    const consumer = ctx
      .kafka('admin', 'passerelle-bench-latency')
      .consumer({ groupId: `bench-${ctx.runId}-ll${run}`, maxWaitTimeInMs: 100 });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      eachMessage: async ({ message }) => {
        const sent = Number(message.headers?.['bench-sent-at']?.toString());
        if (sent) samples.push(now() - sent);
      },
    });
    await waitFor('the latency consumer to join', async () => joined, 60_000, 50);
    const producer = ctx.kafka('admin', 'passerelle-bench-latency').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const sent = await publishAtRate(producer, encoded, settings.latencyRate, settings.latencySeconds, batchMs, (_e, sentAt) => ({
      'bench-sent-at': String(sentAt),
    }));
    await waitFor(`${sent} latency samples`, async () => samples.length >= sent, 60_000, 50);
    await producer.disconnect();
    await consumer.disconnect();
    runs.push(percentiles(samples));
    ctx.log(
      `  L_lat run ${run}: p50 ${runs.at(-1)?.p50.toFixed(1)} ms, p99 ${runs.at(-1)?.p99.toFixed(1)} ms (${sent} messages at ${settings.latencyRate}/s${batchMs ? `, a batch every ${batchMs} ms` : ''})`,
    );
  }
  return {
    rate: settings.latencyRate,
    seconds: settings.latencySeconds,
    batchMs,
    runs,
    p50: spread(runs.map((r) => r.p50)),
    p99: spread(runs.map((r) => r.p99)),
  };
}
