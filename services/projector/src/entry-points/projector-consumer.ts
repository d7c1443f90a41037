import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { EventSerde } from '@passerelle/contracts';
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_PASSERELLE_DEAD_LETTER_REASON,
  ATTR_PASSERELLE_EVENT_TYPE,
  ATTR_PASSERELLE_OUTCOME,
  MESSAGING_SYSTEM_KAFKA,
  createIdempotentProducer,
  headersAsStrings,
  toDeadLetter,
} from '@passerelle/kafka';
import type { Logger } from '@passerelle/logging';
import type { Initiative } from '@passerelle/schemas';
import type { ProjectorConfig } from '../config.ts';
import { applyEvents, type EventScope, type ViewStore } from '../domain/apply-events.ts';
import { checkEvent, classifyDecodeFailure, type Rejection } from '../domain/event-checks.ts';
import { parseTraceparent, traceIdOf } from '../domain/trace-context.ts';
import type { AcceptedEvent, DeadLetterRow, SourcePosition } from '../domain/view-model.ts';
import type { ViewRepository } from '../data-access/view.repository.ts';
import type { ProjectorMetrics } from './projector-metrics.ts';

const tracer = trace.getTracer('@passerelle/projector');

export interface ChunkProgress {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read on this partition: everything before it is applied or dead-lettered. */
  readonly nextOffset: number;
  readonly applied: number;
  readonly duplicates: number;
  readonly deadLetters: number;
}

export interface ProjectorConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topicPattern: RegExp;
  readonly deadLetterTopic: string;
  /** A rebuild records dead letters without publishing them again: the live projector already did. */
  readonly publishDeadLetters: boolean;
  readonly serde: EventSerde;
  readonly initiatives: ReadonlyMap<string, Initiative>;
  /** Where chunks are applied: the view's SQL repository, or a rebuild's in-memory view. */
  readonly repository: ViewStore & Pick<ViewRepository, 'publishedDeadLetters'>;
  readonly logger: Logger;
  readonly metrics?: ProjectorMetrics;
  readonly tuning: Pick<ProjectorConfig, 'topicRefreshMs' | 'chunkSize' | 'partitionsConsumedConcurrently' | 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'maxRetryBackoffMs'>;
  readonly onProgress?: (progress: ChunkProgress) => void;
}

/** A partition's chunk, decoded and checked, waiting to be applied with others. */
interface PreparedChunk {
  readonly topic: string;
  readonly partition: number;
  /** The messages this chunk settles: all of them, or those before the first the registry could not decode. */
  readonly handled: readonly KafkaMessage[];
  readonly accepted: readonly AcceptedEvent[];
  readonly rejected: readonly Rejected[];
  /** Each message's span, by offset. */
  readonly spans: ReadonlyMap<string, Span>;
  readonly retry: boolean;
  readonly batchSpan: Span;
}

interface Rejected {
  readonly message: KafkaMessage;
  readonly rejection: Rejection;
  readonly eventId?: string;
  readonly eventType?: string;
}

/**
 * The consumer group member that feeds the view. Subscribes to every topic matching the pattern
 * (and restarts onto new ones as they appear: kafkajs resolves a subscription once), consumes
 * in batches, and per chunk of a batch: decodes, checks, publishes dead letters, applies in one
 * PostgreSQL transaction (together with the chunks other partitions submitted at the same time),
 * and only then resolves and commits the Kafka offsets.
 */
export class ProjectorConsumer {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private readonly admin: Admin;
  private subscribed: string[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly backoffs = new Map<string, number>();
  private restarting: Promise<void> = Promise.resolve();
  private stopped = false;
  private joined = false;
  private needsRestart: string | undefined;
  private registryAvailable = true;
  private gathered: { chunk: PreparedChunk; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private gatheredMessages = 0;
  private flushScheduled = false;

  constructor(private readonly options: ProjectorConsumerOptions) {
    this.admin = options.kafka.admin();
  }

  get topics(): readonly string[] {
    return this.subscribed;
  }

  async start(): Promise<void> {
    await this.admin.connect();
    if (this.options.publishDeadLetters) {
      this.producer = createIdempotentProducer(this.options.kafka);
      await this.producer.connect();
    }
    await this.refreshTopics('start');
    this.refreshTimer = setInterval(() => void this.refreshTopics('topic refresh'), this.options.tuning.topicRefreshMs);
    this.refreshTimer.unref();
  }

  /** Stops consuming after the chunk in flight; resolved offsets are committed as the consumer leaves. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.refreshTimer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    await this.restarting;
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }

  /** For /readyz: the consumer has joined its group (or has no topic to consume yet). */
  readiness(): { ok: boolean; detail: string } {
    if (this.stopped) return { ok: false, detail: 'stopped' };
    if (this.needsRestart) return { ok: false, detail: `consumer down (${this.needsRestart}); restarting` };
    if (this.subscribed.length === 0) return { ok: true, detail: 'no topic matches the pattern yet' };
    if (!this.joined) return { ok: false, detail: 'joining the consumer group' };
    return { ok: true, detail: `${this.subscribed.length} topics${this.registryAvailable ? '' : '; schema registry unavailable, retrying'}` };
  }

  /** Re-reads the topic list and restarts the consumer when the matching set changed or it crashed. */
  refreshTopics(reason: string): Promise<void> {
    this.restarting = this.restarting
      .then(() => this.refresh(reason))
      .catch((error: unknown) => this.options.logger.error({ err: { type: (error as Error).name, message: (error as Error).message } }, 'topic refresh failed; will try again'));
    return this.restarting;
  }

  private async refresh(reason: string): Promise<void> {
    if (this.stopped) return;
    const matching = (await this.admin.listTopics()).filter((topic) => this.options.topicPattern.test(topic)).sort();
    const changed = matching.join(',') !== this.subscribed.join(',');
    if (!changed && !this.needsRestart && (this.consumer || matching.length === 0)) return;
    const added = matching.filter((topic) => !this.subscribed.includes(topic));
    this.options.logger.info({ groupId: this.options.groupId, topics: matching.length, added, reason: this.needsRestart ?? reason }, 'starting consumer');
    this.options.metrics?.consumerRestarts.inc({ reason: this.needsRestart ? 'crash' : changed ? 'topics' : reason });
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    this.joined = false;
    this.needsRestart = undefined;
    this.subscribed = matching;
    this.options.metrics?.topicsSubscribed.set(matching.length);
    if (matching.length === 0 || this.stopped) return;

    const { tuning } = this.options;
    const consumer = this.options.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: tuning.sessionTimeoutMs,
      heartbeatInterval: tuning.heartbeatIntervalMs,
      allowAutoTopicCreation: false,
      // A fetch waits at most this long for data: it bounds how long a stop (SIGTERM, rebuild switch) waits on an idle fetch.
      maxWaitTimeInMs: 1_000,
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload as { error: Error; restart: boolean };
      this.options.logger.error({ err: { type: error.name, message: error.message }, restart }, 'consumer crashed');
      if (!restart && consumer === this.consumer) {
        this.needsRestart = error.name;
        const timer = setTimeout(() => void this.refreshTopics('crash'), 2_000);
        timer.unref();
      }
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: matching, fromBeginning: true });
      await consumer.run({
        autoCommit: true,
        autoCommitInterval: 1_000,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: tuning.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    } catch (error) {
      // Left undefined, the consumer is started again at the next refresh.
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    this.consumer = consumer;
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale, pause }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const timer = this.options.metrics?.batchDuration.startTimer();
    const batchSpan = tracer.startSpan(`process ${topic}`, {
      kind: SpanKind.CONSUMER,
      attributes: { ...this.processAttributes(topic, partition), [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: batch.messages.length },
    });
    try {
      for (let start = 0; start < batch.messages.length; start += this.options.tuning.chunkSize) {
        if (!isRunning() || isStale()) break;
        const chunk = batch.messages.slice(start, start + this.options.tuning.chunkSize);
        const outcome = await this.processChunk(topic, partition, chunk, batchSpan);
        if (outcome.lastHandled !== undefined) resolveOffset(outcome.lastHandled);
        await commitOffsetsIfNecessary();
        await heartbeat();
        if (outcome.retry) {
          this.pauseForRetry(topic, partition, pause);
          break;
        }
      }
      batchSpan.setStatus({ code: SpanStatusCode.OK });
    } catch (error) {
      batchSpan.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).name });
      this.options.logger.error({ topic, partition, err: { type: (error as Error).name, message: (error as Error).message } }, 'batch failed; kafkajs will redeliver from the last resolved offset');
      throw error;
    } finally {
      batchSpan.end();
      timer?.();
    }
  }

  /**
   * The registry is down: stop this partition where decoding failed and pause it with an
   * increasing delay. kafkajs fetches again from the last resolved offset when it resumes.
   */
  private pauseForRetry(topic: string, partition: number, pause: () => () => void): void {
    const key = `${topic}:${partition}`;
    const delay = Math.min(this.options.tuning.maxRetryBackoffMs, Math.max(500, (this.backoffs.get(key) ?? 250) * 2));
    this.backoffs.set(key, delay);
    this.registryAvailable = false;
    this.options.metrics?.registryRetries.inc();
    this.options.logger.warn({ topic, partition, retryInMs: delay }, 'schema registry unavailable; partition paused');
    const resume = pause();
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      resume();
    }, delay);
    timer.unref();
    this.retryTimers.add(timer);
  }

  private parentContext(headers: Record<string, string>): Context {
    const extracted = propagation.extract(ROOT_CONTEXT, headers);
    if (trace.getSpanContext(extracted)) return extracted;
    // No propagator registered (no SDK in this process): read the W3C header directly, so the trace still continues.
    const parsed = parseTraceparent(headers['traceparent']);
    return parsed ? trace.setSpanContext(ROOT_CONTEXT, { ...parsed, isRemote: true }) : ROOT_CONTEXT;
  }

  /**
   * Each message's span, under the trace its event carries. Attributes and the link to the batch
   * span are added only to a span that records: nine in ten traces are not sampled in production,
   * and the SDK would still copy and check attributes for each of their messages (the samplers
   * Passerelle configures decide on the trace alone).
   */
  private messageSpan(topic: string, partition: number, message: KafkaMessage, headers: Record<string, string>, batchSpan: Span): Span {
    const span = tracer.startSpan(`process ${topic}`, { kind: SpanKind.CONSUMER }, this.parentContext(headers));
    if (!span.isRecording()) return span;
    span.setAttributes({ ...this.processAttributes(topic, partition), [ATTR_MESSAGING_KAFKA_OFFSET]: Number(message.offset) });
    span.addLink({ context: batchSpan.spanContext() });
    return span;
  }

  /** What the batch span and each message span say of where they consume from. */
  private processAttributes(topic: string, partition: number): Attributes {
    return {
      [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_KAFKA,
      [ATTR_MESSAGING_DESTINATION_NAME]: topic,
      [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(partition),
      [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: this.options.groupId,
      [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
      [ATTR_MESSAGING_OPERATION_NAME]: 'process',
    };
  }

  /**
   * One chunk of one partition's batch: decoded and checked here, then applied together with the
   * chunks other partitions submitted meanwhile (see gather). Returns the last offset handled.
   */
  private async processChunk(topic: string, partition: number, messages: readonly KafkaMessage[], batchSpan: Span): Promise<{ lastHandled?: string; retry: boolean }> {
    const chunk = await this.prepareChunk(topic, partition, messages, batchSpan);
    if (chunk.handled.length === 0) {
      for (const span of chunk.spans.values()) span.end();
      return { retry: chunk.retry };
    }
    await this.gather(chunk);
    return { lastHandled: (chunk.handled[chunk.handled.length - 1] as KafkaMessage).offset, retry: chunk.retry };
  }

  /** Decodes and checks a chunk's messages, up to the first one the registry could not decode (retried later). */
  private async prepareChunk(topic: string, partition: number, messages: readonly KafkaMessage[], batchSpan: Span): Promise<PreparedChunk> {
    const accepted: AcceptedEvent[] = [];
    const rejected: Rejected[] = [];
    const spans = new Map<string, Span>();
    let retryAt: number | undefined;

    for (const [index, message] of messages.entries()) {
      const headers = headersAsStrings(message.headers);
      const span = this.messageSpan(topic, partition, message, headers, batchSpan);
      spans.set(message.offset, span);
      if (!message.value || message.value.length === 0) {
        rejected.push({ message, rejection: { code: 'empty_message', text: 'the message has no value' } });
        continue;
      }
      let decoded;
      try {
        decoded = await this.options.serde.decode(message.value);
        this.registryAvailable = true;
      } catch (error) {
        const failure = classifyDecodeFailure(error);
        if (failure.retry) {
          retryAt = index;
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).name });
          break;
        }
        rejected.push({ message, rejection: failure.rejection });
        continue;
      }
      const envelope = decoded.payload.envelope;
      if (span.isRecording()) span.setAttributes({ [ATTR_MESSAGING_MESSAGE_ID]: envelope.eventId, [ATTR_PASSERELLE_EVENT_TYPE]: decoded.type });
      const check = checkEvent(decoded, topic, this.options.initiatives);
      if (!check.ok) {
        rejected.push({ message, rejection: check.rejection, eventId: envelope.eventId, eventType: decoded.type });
        continue;
      }
      accepted.push({
        eventId: envelope.eventId,
        type: decoded.type,
        payload: decoded.payload,
        occurredAt: envelope.occurredAt,
        sourceMinistry: envelope.sourceMinistry,
        position: { topic, partition, offset: Number(message.offset) },
        traceId: traceIdOf(headers['traceparent'], envelope.traceparent),
      } as AcceptedEvent);
    }
    const handled = retryAt === undefined ? messages : messages.slice(0, retryAt);
    return { topic, partition, handled, accepted, rejected, spans, retry: retryAt !== undefined, batchSpan };
  }

  /**
   * Group commit: chunks that partitions submit while a fetch's batches are being handled are
   * applied together, in one transaction, once the event loop has run what was ready (or once
   * they reach a chunk's size). Each submitter resumes when its chunk is stored, or fails with
   * the transaction. One transaction per fetch instead of one per partition is what keeps
   * publish-to-visible latency low when events are spread over many partitions.
   */
  private gather(chunk: PreparedChunk): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.gathered.push({ chunk, resolve, reject });
      this.gatheredMessages += chunk.handled.length;
      if (this.gatheredMessages >= this.options.tuning.chunkSize) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const entries = this.gathered;
    this.gathered = [];
    this.gatheredMessages = 0;
    if (entries.length === 0) return;
    this.applyChunks(entries.map((entry) => entry.chunk)).then(
      () => entries.forEach((entry) => entry.resolve()),
      (error: unknown) => entries.forEach((entry) => entry.reject(error)),
    );
  }

  /** Publishes the chunks' dead letters, applies their events in one transaction, then records outcomes per partition. */
  private async applyChunks(chunks: readonly PreparedChunk[]): Promise<void> {
    const spanAt = new Map<string, Span>();
    for (const chunk of chunks) for (const [offset, span] of chunk.spans) spanAt.set(`${chunk.topic}:${chunk.partition}:${offset}`, span);
    const spanOf = (position: SourcePosition) => spanAt.get(`${position.topic}:${position.partition}:${position.offset}`);
    try {
      const now = new Date();
      const deadRows: DeadLetterRow[] = chunks.flatMap((chunk) =>
        chunk.rejected.map((entry) => ({
          source_topic: chunk.topic,
          source_partition: chunk.partition,
          source_offset: Number(entry.message.offset),
          reason_code: entry.rejection.code,
          reason: entry.rejection.text.slice(0, 500),
          event_id: entry.eventId ?? null,
          event_type: entry.eventType ?? null,
          published: this.options.publishDeadLetters,
          dead_lettered_at: now.getTime(),
        })),
      );
      for (const chunk of chunks) await this.publishDeadLetters(chunk.topic, chunk.partition, chunk.rejected, now);
      const accepted = chunks.flatMap((chunk) => chunk.accepted);
      // The transaction's statements (when pg is instrumented) nest under the first batch span; each
      // traced event's trace gets a span under its apply span for the statement holding its rows.
      const byEvent = new Map(accepted.map((event) => [event.eventId, spanOf(event.position)]));
      const scopeOf: EventScope = (eventId) => {
        const span = byEvent.get(eventId);
        return span?.isRecording() ? trace.setSpan(ROOT_CONTEXT, span) : undefined;
      };
      const batchSpan = (chunks[0] as PreparedChunk).batchSpan;
      const result = await context.with(trace.setSpan(ROOT_CONTEXT, batchSpan), () => applyEvents(this.options.repository, accepted, deadRows, now.getTime(), scopeOf));

      for (const event of result.applied) {
        this.options.metrics?.applied.inc({ event_type: event.type });
        spanOf(event.position)?.setAttribute(ATTR_PASSERELLE_OUTCOME, 'applied');
      }
      for (const event of result.duplicates) {
        this.options.metrics?.duplicates.inc({ event_type: event.type });
        spanOf(event.position)?.setAttribute(ATTR_PASSERELLE_OUTCOME, 'duplicate');
      }
      for (const row of result.deadLetters) {
        this.options.metrics?.deadLetters.inc({ reason: row.reason_code });
        this.options.logger.warn(
          { topic: row.source_topic, partition: row.source_partition, offset: row.source_offset, reason: row.reason_code, eventId: row.event_id ?? undefined, eventType: row.event_type ?? undefined, published: row.published },
          'message dead-lettered',
        );
      }
      const inChunk = (chunk: PreparedChunk) => (event: AcceptedEvent) => event.position.topic === chunk.topic && event.position.partition === chunk.partition;
      for (const chunk of chunks) {
        for (const entry of chunk.rejected) {
          chunk.spans.get(entry.message.offset)?.setAttributes({ [ATTR_PASSERELLE_OUTCOME]: 'dead_letter', [ATTR_PASSERELLE_DEAD_LETTER_REASON]: entry.rejection.code });
        }
        if (!chunk.retry) this.backoffs.delete(`${chunk.topic}:${chunk.partition}`);
        const last = chunk.handled[chunk.handled.length - 1] as KafkaMessage;
        const applied = result.applied.filter(inChunk(chunk)).length;
        const duplicates = result.duplicates.filter(inChunk(chunk)).length;
        this.options.logger.debug({ topic: chunk.topic, partition: chunk.partition, lastOffset: last.offset, applied, duplicates, deadLetters: chunk.rejected.length, gathered: chunks.length }, 'chunk applied');
        this.options.onProgress?.({ topic: chunk.topic, partition: chunk.partition, nextOffset: Number(last.offset) + 1, applied, duplicates, deadLetters: chunk.rejected.length });
      }
    } finally {
      for (const chunk of chunks) for (const span of chunk.spans.values()) span.end();
    }
  }

  /**
   * Dead letters go out before the transaction that records them commits. A crash in between
   * republishes them on redelivery (at least once); positions already published are skipped.
   */
  private async publishDeadLetters(topic: string, partition: number, rejected: readonly Rejected[], now: Date): Promise<void> {
    if (!this.options.publishDeadLetters || rejected.length === 0 || !this.producer) return;
    const recorded = await this.options.repository.publishedDeadLetters(rejected.map((entry) => ({ topic, partition, offset: Number(entry.message.offset) })));
    const fresh = rejected.filter((entry) => !recorded.has(`${topic}:${partition}:${entry.message.offset}`));
    if (fresh.length === 0) return;
    await this.producer.send({
      topic: this.options.deadLetterTopic,
      acks: -1,
      messages: fresh.map((entry) =>
        toDeadLetter(
          { topic, partition, offset: entry.message.offset, key: entry.message.key, value: entry.message.value, headers: entry.message.headers },
          entry.rejection,
          { consumerGroup: this.options.groupId, failedAt: now, eventId: entry.eventId, eventType: entry.eventType },
        ),
      ),
    });
  }
}
