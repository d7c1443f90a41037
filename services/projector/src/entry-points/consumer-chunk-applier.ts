import { context, type Span } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from '@passerelle/logging';
import { applyEvents, type EventScope } from '../domain/apply-events.ts';
import { deadLetterRowOf } from '../domain/batch-entry.ts';
import type { AcceptedEvent, SourcePosition } from '../domain/view-model.ts';
import type { ProjectorMetrics } from './projector-metrics.ts';
import type { ChunkProgress, ConsumerRepository } from './consumer-options.ts';
import type { PreparedChunk } from './consumer-chunk-preparer.ts';
import { batchContext, markOutcome, recordingContext } from './consumer-spans.ts';
import type { DeadLetterPublisher } from './consumer-dead-letter-publisher.ts';

export interface ChunkApplierOptions {
  readonly repository: ConsumerRepository;
  readonly deadLetters: DeadLetterPublisher;
  /** Whether the dead letters recorded are published (false in a rebuild). */
  readonly publishDeadLetters: boolean;
  readonly logger: Logger;
  readonly metrics?: ProjectorMetrics;
  /** A partition that got through a chunk without the registry failing it (its back-off starts over). */
  readonly onSettled: (topic: string, partition: number) => void;
  readonly onProgress?: (progress: ChunkProgress) => void;
}

/**
 * Applies prepared chunks of one or more partitions together: publishes their dead letters,
 * applies their events and records the dead letters in one transaction, then counts, logs and
 * marks each message's span with its outcome. Every message span is ended, whatever happens.
 */
export class ChunkApplier {
  constructor(private readonly options: ChunkApplierOptions) {}

  async apply(chunks: readonly PreparedChunk[]): Promise<void> {
    const { repository, metrics, logger } = this.options;
    const spanAt = new Map<string, Span>();
    for (const chunk of chunks) for (const [offset, span] of chunk.spans) spanAt.set(`${chunk.topic}:${chunk.partition}:${offset}`, span);
    const spanOf = (position: SourcePosition) => spanAt.get(`${position.topic}:${position.partition}:${position.offset}`);
    try {
      const now = new Date();
      const deadRows = chunks.flatMap((chunk) =>
        chunk.rejected.map((entry) =>
          deadLetterRowOf(
            { topic: chunk.topic, partition: chunk.partition, offset: Number(entry.message.offset) },
            entry,
            this.options.publishDeadLetters,
            now.getTime(),
          ),
        ),
      );
      for (const chunk of chunks) await this.options.deadLetters.publish(chunk.topic, chunk.partition, chunk.rejected, now);
      const accepted = chunks.flatMap((chunk) => chunk.accepted);
      // The transaction's statements (when pg is instrumented) nest under the first batch span; each
      // traced event's trace gets a span under its apply span for the statement holding its rows.
      const byEvent = new Map(accepted.map((event) => [event.eventId, spanOf(event.position)]));
      const scopeOf: EventScope = (eventId) => recordingContext(byEvent.get(eventId));
      const batchSpan = (chunks[0] as PreparedChunk).batchSpan;
      const result = await context.with(batchContext(batchSpan), () => applyEvents(repository, accepted, deadRows, now.getTime(), scopeOf));

      for (const event of result.applied) {
        metrics?.applied.inc({ event_type: event.type });
        markOutcome(spanOf(event.position), 'applied');
      }
      for (const event of result.duplicates) {
        metrics?.duplicates.inc({ event_type: event.type });
        markOutcome(spanOf(event.position), 'duplicate');
      }
      for (const row of result.deadLetters) {
        metrics?.deadLetters.inc({ reason: row.reason_code });
        logger.warn(
          {
            topic: row.source_topic,
            partition: row.source_partition,
            offset: row.source_offset,
            reason: row.reason_code,
            eventId: row.event_id ?? undefined,
            eventType: row.event_type ?? undefined,
            published: row.published,
          },
          'message dead-lettered',
        );
      }
      const inChunk = (chunk: PreparedChunk) => (event: AcceptedEvent) =>
        event.position.topic === chunk.topic && event.position.partition === chunk.partition;
      for (const chunk of chunks) {
        for (const entry of chunk.rejected) markOutcome(chunk.spans.get(entry.message.offset), { deadLetter: entry.rejection.code });
        if (!chunk.retry) this.options.onSettled(chunk.topic, chunk.partition);
        const last = chunk.handled[chunk.handled.length - 1] as KafkaMessage;
        const applied = result.applied.filter(inChunk(chunk)).length;
        const duplicates = result.duplicates.filter(inChunk(chunk)).length;
        logger.debug(
          {
            topic: chunk.topic,
            partition: chunk.partition,
            lastOffset: last.offset,
            applied,
            duplicates,
            deadLetters: chunk.rejected.length,
            gathered: chunks.length,
          },
          'chunk applied',
        );
        this.options.onProgress?.({
          topic: chunk.topic,
          partition: chunk.partition,
          nextOffset: Number(last.offset) + 1,
          applied,
          duplicates,
          deadLetters: chunk.rejected.length,
        });
      }
    } finally {
      for (const chunk of chunks) for (const span of chunk.spans.values()) span.end();
    }
  }
}
