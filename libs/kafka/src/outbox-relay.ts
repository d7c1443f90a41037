import { context, propagation, trace, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Producer, TopicMessages } from 'kafkajs';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Knex } from '@passerelle/db';
import type { Logger } from '@passerelle/logging';
import { BrokerPeer } from './broker-peer.ts';
import { OUTBOX_TABLE, PUBLISHED_PAYLOAD, type OutboxRow } from './outbox.migrations.ts';
import {
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_PASSERELLE_EVENT_TYPE,
  MESSAGING_SYSTEM_KAFKA,
} from './semconv.ts';

/** Turns one outbox row into the bytes Kafka carries (Confluent-framed Avro, in practice). */
export type OutboxEncoder = (row: OutboxRow) => Promise<Buffer>;

export interface OutboxRelayOptions {
  readonly db: Knex;
  readonly producer: Producer;
  readonly encode: OutboxEncoder;
  readonly logger: Logger;
  readonly metrics?: Registry;
  /** Distinguishes relays sharing one database; replicas of one adapter share it. */
  readonly name: string;
  /** Rows per transaction and Kafka send (default 1,000): larger batches cost fewer round trips and index updates per event. */
  readonly batchSize?: number;
  readonly pollIntervalMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * How long the relay waits after being notified of a commit before it publishes (default
   * 5 ms): the commits of those milliseconds go in one batch, one Kafka request, instead of one
   * each. 0 publishes at once.
   */
  readonly lingerMs?: number;
}

const tracer = trace.getTracer('@passerelle/kafka');

export const DEFAULT_RELAY_BATCH = 1_000;
export const DEFAULT_RELAY_LINGER_MS = 5;

/**
 * A stable 31-bit key for pg_try_advisory_xact_lock from the relay's name. Whoever holds this
 * advisory lock (a second replica's relay, or an operator pausing publication) keeps the relay
 * from publishing until it is released; accepted rows wait in the outbox meanwhile.
 */
export function relayLockKey(name: string): number {
  let hash = 0;
  for (const char of `outbox-relay:${name}`) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash & 0x7fffffff;
}

/**
 * Broker answers after which the idempotent producer cannot go on with its session: its
 * sequence numbers no longer match the broker's (a batch lost while the broker restarted), or
 * the broker forgot or fenced its producer id. Resending with the same session is refused
 * forever; a new session (new producer id) is accepted, and the copies it may publish again are
 * dropped by consumers by eventId.
 */
const FATAL_PRODUCER_STATES = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

export function needsNewProducerSession(error: unknown): boolean {
  const err = error as { name?: string; type?: string; originalError?: unknown };
  if (err.name === 'KafkaJSConnectionError' || err.name === 'KafkaJSNonRetriableError') return true;
  if (err.type !== undefined && FATAL_PRODUCER_STATES.has(err.type)) return true;
  // Retries exhausted: kafkajs keeps what failed last.
  return err.originalError !== undefined && err.originalError !== error && needsNewProducerSession(err.originalError);
}

/**
 * Publishes outbox rows in id order. Each batch runs in one transaction holding an advisory
 * lock, so with several replicas exactly one publishes at a time and per-key order holds.
 * Rows are marked published in that transaction after Kafka acknowledged them (acks=all);
 * a crash in between republishes them, and consumers drop the duplicates by eventId.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly lingerMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  /** Ends the current sleep; undefined while publishing. */
  private wake: (() => void) | undefined;
  /** A commit was notified since the last batch started: the relay lingers, then publishes, rather than polls. */
  private notified = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private backoffMs = 0;
  private connected = false;
  private readonly published: Counter;
  private readonly failures: Counter;
  private readonly batchSizes: Histogram;
  /** The broker the producer spans name as their peer. */
  private readonly peer: BrokerPeer;

  constructor(private readonly options: OutboxRelayOptions) {
    this.peer = BrokerPeer.following(options.producer, 'Produce');
    this.batchSize = options.batchSize ?? DEFAULT_RELAY_BATCH;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.lingerMs = options.lingerMs ?? DEFAULT_RELAY_LINGER_MS;
    const registers = options.metrics ? [options.metrics] : [];
    this.published = new Counter({ name: 'outbox_published_total', help: 'Outbox rows published to Kafka', registers });
    this.failures = new Counter({ name: 'outbox_publish_failures_total', help: 'Failed publish attempts (batches)', registers });
    this.batchSizes = new Histogram({
      name: 'outbox_publish_batch_size',
      help: 'Rows per published batch (one Kafka request)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000],
      registers,
    });
    const db = options.db;
    new Gauge({
      name: 'outbox_depth',
      help: 'Outbox rows accepted but not yet published',
      registers,
      async collect() {
        const [row] = await db(OUTBOX_TABLE).whereNull('published_at').count({ n: '*' });
        this.set(Number(row?.['n'] ?? 0));
      },
    });
    new Gauge({
      name: 'outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest unpublished outbox row (0 when empty)',
      registers,
      async collect() {
        const result = await db.raw<{ rows: { age: number | null }[] }>(
          `SELECT EXTRACT(EPOCH FROM now() - min(accepted_at))::float8 AS age FROM ${OUTBOX_TABLE} WHERE published_at IS NULL`,
        );
        this.set(result.rows[0]?.age ?? 0);
      },
    });
  }

  /** True while the relay waits (for its poll, a notified commit's linger, or a backoff), not publishing. */
  get idle(): boolean {
    return this.wake !== undefined;
  }

  /** True once the producer has connected and the last attempt succeeded. */
  get kafkaHealthy(): boolean {
    return this.connected && this.backoffMs === 0;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Tells the relay a commit added rows (after an acceptance commits): it publishes within
   * `lingerMs`, with whatever else was committed meanwhile, instead of at the next poll. While
   * Kafka is failing the backoff stands.
   */
  notify(): void {
    this.notified = true;
    if (this.wake === undefined || this.backoffMs > 0) return;
    if (this.lingerMs <= 0) this.wake();
    else this.lingerTimer ??= setTimeout(() => this.wakeNow(), this.lingerMs);
  }

  private wakeNow(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.wake?.();
  }

  /** Stops after the batch in flight, then tries one last drain within `flushMs`. */
  async stop(flushMs = 5_000): Promise<void> {
    this.running = false;
    this.wakeNow();
    await this.loop;
    if (this.connected && this.backoffMs === 0) {
      const deadline = Date.now() + flushMs;
      while (Date.now() < deadline) {
        const count = await this.publishBatch().catch(() => 0);
        if (count === 0) break;
      }
    }
    await this.options.producer.disconnect().catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let count = 0;
      try {
        if (!this.connected) {
          await this.options.producer.connect();
          this.connected = true;
        }
        this.notified = false;
        count = await this.publishBatch();
        if (this.backoffMs > 0) this.options.logger.info({ relay: this.options.name }, 'outbox relay recovered');
        this.backoffMs = 0;
      } catch (error) {
        this.failures.inc();
        this.backoffMs = Math.min(this.maxBackoffMs, Math.max(500, this.backoffMs * 2));
        const err = error as { name?: string; code?: string; message?: string; retriable?: boolean };
        this.options.logger.warn(
          { relay: this.options.name, error: { type: err.name, code: err.code, message: err.message }, retryInMs: this.backoffMs },
          'outbox publish failed; will retry',
        );
        if (needsNewProducerSession(error)) {
          // A fresh connect asks the broker for a new producer id, which resets the sequence numbers.
          await this.options.producer.disconnect().catch(() => undefined);
          this.connected = false;
        }
      }
      if (!this.running) break;
      if (count >= this.batchSize && this.backoffMs === 0) continue;
      // Commits notified while this batch was out: linger for their company, then publish them.
      if (this.notified && this.backoffMs === 0) await this.sleep(this.lingerMs);
      else await this.sleep(this.backoffMs || this.pollIntervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** One batch: lock, read in id order, encode, send, mark. Returns how many were published. */
  async publishBatch(): Promise<number> {
    const { db } = this.options;
    let ids: number[] = [];
    try {
      return await db.transaction(async (trx) => {
        const lock = await trx.raw<{ rows: { locked: boolean }[] }>('SELECT pg_try_advisory_xact_lock(?) AS locked', [
          relayLockKey(this.options.name),
        ]);
        if (!lock.rows[0]?.locked) return 0;
        const rows = (await trx(OUTBOX_TABLE).whereNull('published_at').orderBy('id').limit(this.batchSize)) as OutboxRow[];
        if (rows.length === 0) return 0;
        ids = rows.map((row) => row.id);
        const spans: Span[] = [];
        try {
          const topicMessages = await this.toMessages(rows, spans);
          await this.options.producer.sendBatch({ topicMessages, acks: -1 });
        } catch (error) {
          for (const span of spans) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).name });
            this.endWithPeer(span);
          }
          throw error;
        }
        for (const span of spans) this.endWithPeer(span);
        // One bound array rather than a placeholder per id. A published row keeps what
        // idempotency and ordering need (id, event id, topic, key, times), not the event:
        // its person-level fields must not outlive publication in a second copy.
        await trx(OUTBOX_TABLE)
          .whereRaw('id = ANY(?::bigint[])', [ids])
          .update({ published_at: trx.fn.now(), attempts: trx.raw('attempts + 1'), last_error: null, payload: PUBLISHED_PAYLOAD });
        this.published.inc(rows.length);
        this.batchSizes.observe(rows.length);
        return rows.length;
      });
    } catch (error) {
      if (ids.length > 0) {
        const reason = `${(error as Error).name}: ${(error as Error).message}`.slice(0, 500);
        await db(OUTBOX_TABLE)
          .whereRaw('id = ANY(?::bigint[])', [ids])
          .update({ attempts: db.raw('attempts + 1'), last_error: reason })
          .catch(() => undefined);
      }
      throw error;
    }
  }

  /** Names the broker that took the batch (known once it answered), then ends the span. */
  private endWithPeer(span: Span): void {
    if (span.isRecording()) span.setAttributes(this.peer.attributes());
    span.end();
  }

  /**
   * Each row gets a producer span whose parent is the trace context stored with it, and
   * that span's context travels in the message headers: the trace of the ministry's request
   * continues on the consumer side.
   */
  private async toMessages(rows: readonly OutboxRow[], spans: Span[]): Promise<TopicMessages[]> {
    const byTopic = new Map<string, TopicMessages>();
    for (const row of rows) {
      const parent = propagation.extract(context.active(), row.trace_context ?? {});
      // Attributes only on a span that records (see the projector's messageSpan: most traces are not sampled).
      const span = tracer.startSpan(`send ${row.topic}`, { kind: SpanKind.PRODUCER }, parent);
      if (span.isRecording()) {
        span.setAttributes({
          [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_KAFKA,
          [ATTR_MESSAGING_DESTINATION_NAME]: row.topic,
          [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
          [ATTR_MESSAGING_OPERATION_NAME]: 'send',
          [ATTR_MESSAGING_MESSAGE_ID]: row.event_id,
          [ATTR_PASSERELLE_EVENT_TYPE]: row.event_type,
        });
      }
      spans.push(span);
      const headers: Record<string, string> = { 'passerelle-event-id': row.event_id, 'passerelle-event-type': row.event_type };
      propagation.inject(trace.setSpan(parent, span), headers);
      const value = await this.options.encode(row);
      const messages = byTopic.get(row.topic) ?? { topic: row.topic, messages: [] };
      messages.messages.push({ key: row.message_key, value, headers });
      byTopic.set(row.topic, messages);
    }
    return [...byTopic.values()];
  }
}
