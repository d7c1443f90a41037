import { TopicReadTimeoutError } from './errors.ts';
import { randomBytes } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';
import { highWatermarks } from './consumer-lag.ts';

export interface ReadMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders | undefined;
}

export interface ReadTopicOptions {
  /** Gives up after this long if the end is not reached (default 30 s). */
  readonly timeoutMs?: number;
  /** Prefix of the throwaway consumer group (deleted afterwards). */
  readonly groupPrefix?: string;
}

/**
 * Reads a topic from its log start to the high watermarks taken when called, for operator
 * commands (listing and redriving dead letters). It uses a throwaway consumer group that never
 * commits and is deleted at the end, so no service's offsets move.
 */
export async function readTopic(kafka: Kafka, topic: string, options: ReadTopicOptions = {}): Promise<ReadMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const marks = await highWatermarks(admin, [topic]);
    const remaining = new Map([...marks].filter(([, mark]) => mark.high > mark.low).map(([key, mark]) => [key, mark.high]));
    if (remaining.size === 0) return [];
    const groupId = `${options.groupPrefix ?? 'passerelle-reader'}-${randomBytes(4).toString('hex')}`;
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    const messages: ReadMessage[] = [];
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const key = `${topic}:${partition}`;
          const high = remaining.get(key);
          if (high === undefined) return;
          if (Number(message.offset) < high) {
            messages.push({
              topic,
              partition,
              offset: message.offset,
              timestamp: message.timestamp,
              key: message.key,
              value: message.value,
              headers: message.headers,
            });
          }
          if (Number(message.offset) >= high - 1) remaining.delete(key);
          if (remaining.size === 0) finish();
        },
      });
      const timeoutMs = options.timeoutMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      const outcome = await Promise.race([done, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') throw new TopicReadTimeoutError(`reading ${topic} did not reach its end within ${timeoutMs} ms`);
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
    return messages.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
  } finally {
    await admin.disconnect();
  }
}
