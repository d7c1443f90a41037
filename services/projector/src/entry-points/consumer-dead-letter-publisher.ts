import type { Kafka, Producer } from 'kafkajs';
import { createIdempotentProducer, toDeadLetter } from '@passerelle/kafka';
import type { ConsumerRepository } from './consumer-options.ts';
import type { Rejected } from './consumer-chunk-preparer.ts';

export interface DeadLetterPublisherOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly deadLetterTopic: string;
  /** A rebuild records dead letters without publishing them again: the live projector already did. */
  readonly enabled: boolean;
  readonly repository: Pick<ConsumerRepository, 'publishedDeadLetters'>;
}

/** Publishes refused messages to the dead-letter topic, each once per recorded position. */
export class DeadLetterPublisher {
  private producer: Producer | undefined;

  constructor(private readonly options: DeadLetterPublisherOptions) {}

  async start(): Promise<void> {
    if (!this.options.enabled) return;
    this.producer = createIdempotentProducer(this.options.kafka);
    await this.producer.connect();
  }

  async stop(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
  }

  /**
   * Dead letters go out before the transaction that records them commits. A crash in between
   * republishes them on redelivery (at least once); positions already published are skipped.
   */
  async publish(topic: string, partition: number, rejected: readonly Rejected[], now: Date): Promise<void> {
    if (!this.options.enabled || rejected.length === 0 || !this.producer) return;
    const recorded = await this.options.repository.publishedDeadLetters(
      rejected.map((entry) => ({ topic, partition, offset: Number(entry.message.offset) })),
    );
    const fresh = rejected.filter((entry) => !recorded.has(`${topic}:${partition}:${entry.message.offset}`));
    if (fresh.length === 0) return;
    await this.producer.send({
      topic: this.options.deadLetterTopic,
      acks: -1,
      messages: fresh.map((entry) =>
        toDeadLetter(
          {
            topic,
            partition,
            offset: entry.message.offset,
            key: entry.message.key,
            value: entry.message.value,
            headers: entry.message.headers,
          },
          entry.rejection,
          { consumerGroup: this.options.groupId, failedAt: now, eventId: entry.eventId, eventType: entry.eventType },
        ),
      ),
    });
  }
}
