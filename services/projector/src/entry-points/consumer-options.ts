import type { Kafka } from 'kafkajs';
import type { EventSerde } from '@passerelle/contracts';
import type { Logger } from '@passerelle/logging';
import type { Initiative } from '@passerelle/schemas';
import type { ProjectorConfig } from '../config.ts';
import type { ViewStore } from '../domain/apply-events.ts';
import type { ViewRepository } from '../data-access/view.repository.ts';
import type { ProjectorMetrics } from './projector-metrics.ts';

/** What one applied chunk settled on its partition, reported to `onProgress`. */
export interface ChunkProgress {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read on this partition: everything before it is applied or dead-lettered. */
  readonly nextOffset: number;
  readonly applied: number;
  readonly duplicates: number;
  readonly deadLetters: number;
}

/** The store a chunk is applied to: the view's SQL repository, or a rebuild's in-memory view. */
export type ConsumerRepository = ViewStore & Pick<ViewRepository, 'publishedDeadLetters'>;

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
  readonly repository: ConsumerRepository;
  readonly logger: Logger;
  readonly metrics?: ProjectorMetrics;
  readonly tuning: Pick<
    ProjectorConfig,
    'topicRefreshMs' | 'chunkSize' | 'partitionsConsumedConcurrently' | 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'maxRetryBackoffMs'
  >;
  readonly onProgress?: (progress: ChunkProgress) => void;
}
