import { setTimeout as sleep } from 'node:timers/promises';
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { EventSerde } from '@passerelle/contracts';
import type { Initiative } from '@passerelle/schemas';
import { deadLetterRowOf } from '../domain/batch-entry.ts';
import type { SubjectKeyReader } from '../domain/subject-opening.ts';
import type { StageWriter } from '../data-access/rebuild-stage.ts';
import { ChunkPreparer } from './consumer-chunk-preparer.ts';
import type { ChunkProgress } from './consumer-options.ts';
import { ConsumerSpans } from './consumer-spans.ts';

export type Watermarks = Map<string, { low: number; high: number }>;

export interface ScanOptions {
  readonly kafka: Kafka;
  /** A throwaway group: its offsets are never committed, nor read. */
  readonly groupId: string;
  readonly serde: EventSerde;
  readonly initiatives: ReadonlyMap<string, Initiative>;
  readonly readSubjectKeys: SubjectKeyReader;
  readonly stage: StageWriter;
  /** Where to stop: every partition that held messages has been read up to its high watermark. */
  readonly marks: Watermarks;
  readonly chunkSize: number;
  readonly partitionsConsumedConcurrently: number;
  /** Each chunk once staged: its position is then part of what the stage holds. */
  readonly onChunk: (chunk: ChunkProgress) => void;
  /** Called every `progressIntervalMs` while the scan runs. */
  readonly onTick: () => void;
  readonly progressIntervalMs: number;
}

/**
 * The rebuild's first pass: reads every topic up to the watermarks taken at the start, decodes and
 * checks each message as the live projector does (ChunkPreparer: the registry, the checks, the
 * data keys of sealed creations), and stages what it accepted and what it dead-letters. Nothing
 * is folded here and nothing but the chunk in hand is held: the fold reads the stage back sorted
 * by aggregate. Messages read past the watermarks are staged too; their positions count like the
 * others'.
 */
export async function scanIntoStage(options: ScanOptions): Promise<void> {
  const { marks, stage } = options;
  const pending = new Set([...marks].filter(([, mark]) => mark.high > mark.low).map(([key]) => key));
  if (pending.size === 0) return;
  const topics = [...new Set([...pending].map((key) => key.slice(0, key.lastIndexOf(':'))))];
  const spans = new ConsumerSpans(options.groupId);
  const preparer = new ChunkPreparer({
    serde: options.serde,
    initiatives: options.initiatives,
    repository: { readSubjectKeys: options.readSubjectKeys },
    spans,
    onRegistryAnswer: () => undefined,
  });
  let reached: () => void = () => undefined;
  let failed: (error: Error) => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    reached = resolve;
    failed = reject;
  });

  const stageChunk = async (
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    batchSpan: ReturnType<ConsumerSpans['batchSpan']>,
  ) => {
    const chunk = await preparer.prepare(topic, partition, messages, batchSpan);
    try {
      const now = Date.now();
      for (const event of chunk.accepted) stage.event(event);
      for (const entry of chunk.rejected)
        stage.deadLetter(deadLetterRowOf({ topic, partition, offset: Number(entry.message.offset) }, entry, false, now));
    } finally {
      for (const span of chunk.spans.values()) span.end();
    }
    const last = chunk.handled.at(-1);
    if (last) {
      const key = `${topic}:${partition}`;
      const nextOffset = Number(last.offset) + 1;
      options.onChunk({ topic, partition, nextOffset, applied: chunk.accepted.length, duplicates: 0, deadLetters: chunk.rejected.length });
      if (nextOffset >= (marks.get(key)?.high ?? Infinity)) pending.delete(key);
      if (pending.size === 0) reached();
    }
    await stage.ready();
    return chunk;
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
    const batchSpan = spans.batchSpan(batch.topic, batch.partition, batch.messages.length);
    try {
      let start = 0;
      while (start < batch.messages.length && isRunning() && !isStale()) {
        const messages = batch.messages.slice(start, start + options.chunkSize);
        const chunk = await stageChunk(batch.topic, batch.partition, messages, batchSpan);
        start += chunk.handled.length;
        const last = chunk.handled.at(-1);
        if (last) resolveOffset(last.offset);
        await heartbeat();
        // The registry could not decode a message: the rest of the chunk is tried again shortly.
        if (chunk.retry) await sleep(1_000);
      }
    } catch (error) {
      failed(error as Error);
      throw error;
    } finally {
      batchSpan.end();
    }
  };

  const consumer = options.kafka.consumer({ groupId: options.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 1_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
      eachBatch,
    });
    for (;;) {
      options.onTick();
      const outcome = await Promise.race([done.then(() => 'done' as const), sleep(options.progressIntervalMs)]);
      if (outcome === 'done') break;
    }
    options.onTick();
  } finally {
    // Disconnecting waits for the batch in hand: nothing is staged after this returns.
    await consumer.disconnect();
  }
}
