import type { Admin } from 'kafkajs';

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset (the next message it will read), or the log start when it has none. */
  readonly committed: number;
  /** The high watermark: the offset the next produced message will get. */
  readonly high: number;
  readonly lag: number;
}

/**
 * Lag of a consumer group per partition, from its committed offsets. Committed offsets trail
 * what the consumer has applied by up to one commit interval; lag is an operator signal, not a
 * correctness one (the view dedupes by eventId).
 */
export async function consumerGroupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  if (topics.length === 0) return [];
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  const result: PartitionLag[] = [];
  for (const topic of topics) {
    const watermarks = await admin.fetchTopicOffsets(topic);
    const groupOffsets = committed.find((entry) => entry.topic === topic)?.partitions ?? [];
    for (const mark of watermarks) {
      const high = Number(mark.high);
      const low = Number(mark.low);
      const own = Number(groupOffsets.find((p) => p.partition === mark.partition)?.offset ?? -1);
      const position = own >= 0 ? own : low;
      result.push({ topic, partition: mark.partition, committed: position, high, lag: Math.max(0, high - position) });
    }
  }
  return result.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

/** High watermarks of topics, by `<topic>:<partition>`. */
export async function highWatermarks(admin: Admin, topics: readonly string[]): Promise<Map<string, { low: number; high: number }>> {
  const marks = new Map<string, { low: number; high: number }>();
  for (const topic of topics) {
    for (const mark of await admin.fetchTopicOffsets(topic))
      marks.set(`${topic}:${mark.partition}`, { low: Number(mark.low), high: Number(mark.high) });
  }
  return marks;
}
