import { context, type Span } from '@opentelemetry/api';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '@passerelle/logging';
import type { ProjectorMetrics } from './projector-metrics.ts';
import type { ChunkPreparer, PreparedChunk } from './consumer-chunk-preparer.ts';
import { batchContext, markError, markOk, type ConsumerSpans } from './consumer-spans.ts';
import type { GroupCommit } from './consumer-group-commit.ts';
import type { PartitionBackoff } from './consumer-partition-backoff.ts';

export interface BatchHandlerOptions {
  readonly chunkSize: number;
  readonly spans: ConsumerSpans;
  readonly preparer: ChunkPreparer;
  readonly groupCommit: GroupCommit<PreparedChunk>;
  readonly backoff: PartitionBackoff;
  readonly logger: Logger;
  readonly metrics?: ProjectorMetrics;
}

/**
 * kafkajs's `eachBatch` (auto-resolve off): one partition's batch, a chunk at a time. Each chunk
 * is prepared, then applied with the chunks other partitions submit meanwhile; only then is its
 * last offset resolved and committed. A chunk the registry could not finish pauses the partition.
 */
export class BatchHandler {
  constructor(private readonly options: BatchHandlerOptions) {}

  /** One batch under its span, so that every log line written while it is handled carries its traceId and spanId. */
  eachBatch(payload: EachBatchPayload): Promise<void> {
    const batchSpan = this.options.spans.batchSpan(payload.batch.topic, payload.batch.partition, payload.batch.messages.length);
    return context.with(batchContext(batchSpan), () => this.handle(payload, batchSpan));
  }

  private async handle(
    { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale, pause }: EachBatchPayload,
    batchSpan: Span,
  ): Promise<void> {
    const { topic, partition } = batch;
    const { chunkSize, metrics, logger } = this.options;
    const timer = metrics?.batchDuration.startTimer();
    try {
      for (let start = 0; start < batch.messages.length; start += chunkSize) {
        if (!isRunning() || isStale()) break;
        const chunk = batch.messages.slice(start, start + chunkSize);
        const outcome = await this.processChunk(topic, partition, chunk, batchSpan);
        if (outcome.lastHandled !== undefined) resolveOffset(outcome.lastHandled);
        await commitOffsetsIfNecessary();
        await heartbeat();
        if (outcome.retry) {
          this.options.backoff.pause(topic, partition, pause);
          break;
        }
      }
      markOk(batchSpan);
    } catch (error) {
      markError(batchSpan, error);
      logger.error(
        { topic, partition, err: { type: (error as Error).name, message: (error as Error).message } },
        'batch failed; kafkajs will redeliver from the last resolved offset',
      );
      throw error;
    } finally {
      batchSpan.end();
      timer?.();
    }
  }

  /**
   * One chunk of one partition's batch: decoded and checked, then applied together with the
   * chunks other partitions submitted meanwhile (consumer-group-commit.ts). Returns the last offset handled.
   */
  private async processChunk(
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    batchSpan: Span,
  ): Promise<{ lastHandled?: string; retry: boolean }> {
    const chunk = await this.options.preparer.prepare(topic, partition, messages, batchSpan);
    if (chunk.handled.length === 0) {
      for (const span of chunk.spans.values()) span.end();
      return { retry: chunk.retry };
    }
    await this.options.groupCommit.submit(chunk);
    return { lastHandled: (chunk.handled[chunk.handled.length - 1] as KafkaMessage).offset, retry: chunk.retry };
  }
}
