import type { Logger } from '@passerelle/logging';
import { nextRetryDelayMs } from '../domain/registry-backoff.ts';
import type { ProjectorMetrics } from './projector-metrics.ts';

/**
 * The registry is down: a partition stops where decoding failed and is paused with an increasing
 * delay per partition (kafkajs fetches again from the last resolved offset when it resumes). Also
 * remembers whether the registry answered last, for the readiness detail.
 */
export class PartitionBackoff {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly delays = new Map<string, number>();
  private available = true;

  constructor(
    private readonly maxBackoffMs: number,
    private readonly logger: Logger,
    private readonly metrics?: ProjectorMetrics,
  ) {}

  get registryAvailable(): boolean {
    return this.available;
  }

  /** The registry decoded a message. */
  registryAnswered(): void {
    this.available = true;
  }

  /** Pauses the partition (`pause` is kafkajs's, returning its resume) for the next delay. */
  pause(topic: string, partition: number, pause: () => () => void): void {
    const key = `${topic}:${partition}`;
    const delay = nextRetryDelayMs(this.delays.get(key), this.maxBackoffMs);
    this.delays.set(key, delay);
    this.available = false;
    this.metrics?.registryRetries.inc();
    this.logger.warn({ topic, partition, retryInMs: delay }, 'schema registry unavailable; partition paused');
    const resume = pause();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      resume();
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  /** The partition got through a chunk without waiting for the registry: its next wait starts short again. */
  settled(topic: string, partition: number): void {
    this.delays.delete(`${topic}:${partition}`);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
  }
}
