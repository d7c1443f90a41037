import type { Admin, Consumer } from 'kafkajs';
import { BatchHandler } from './consumer-batch-handler.ts';
import { ChunkApplier } from './consumer-chunk-applier.ts';
import { ChunkPreparer, type PreparedChunk } from './consumer-chunk-preparer.ts';
import type { ProjectorConsumerOptions } from './consumer-options.ts';
import { ConsumerSpans } from './consumer-spans.ts';
import { DeadLetterPublisher } from './consumer-dead-letter-publisher.ts';
import { GroupCommit } from './consumer-group-commit.ts';
import { PartitionBackoff } from './consumer-partition-backoff.ts';

export type { ChunkProgress, ProjectorConsumerOptions } from './consumer-options.ts';

/**
 * The consumer group member that feeds the view. Subscribes to every topic matching the pattern
 * (and restarts onto new ones as they appear: kafkajs resolves a subscription once), consumes
 * in batches, and per chunk of a batch: decodes, checks, publishes dead letters, applies in one
 * PostgreSQL transaction (together with the chunks other partitions submitted at the same time),
 * and only then resolves and commits the Kafka offsets. This file keeps the subscription and
 * wires the `consumer-*.ts` pieces beside it (see the README's file map).
 */
export class ProjectorConsumer {
  private consumer: Consumer | undefined;
  private readonly admin: Admin;
  private readonly deadLetters: DeadLetterPublisher;
  private readonly backoff: PartitionBackoff;
  private readonly batches: BatchHandler;
  private readonly spans: ConsumerSpans;
  private subscribed: string[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> = Promise.resolve();
  private stopped = false;
  private joined = false;
  private needsRestart: string | undefined;

  constructor(private readonly options: ProjectorConsumerOptions) {
    const { kafka, groupId, repository, logger, metrics, tuning } = options;
    this.admin = kafka.admin();
    this.deadLetters = new DeadLetterPublisher({
      kafka,
      groupId,
      deadLetterTopic: options.deadLetterTopic,
      enabled: options.publishDeadLetters,
      repository,
    });
    this.backoff = new PartitionBackoff(tuning.maxRetryBackoffMs, logger, metrics);
    const spans = new ConsumerSpans(groupId);
    this.spans = spans;
    const applier = new ChunkApplier({
      repository,
      deadLetters: this.deadLetters,
      publishDeadLetters: options.publishDeadLetters,
      logger,
      metrics,
      onSettled: (topic, partition) => this.backoff.settled(topic, partition),
      onProgress: options.onProgress,
    });
    this.batches = new BatchHandler({
      chunkSize: tuning.chunkSize,
      spans,
      preparer: new ChunkPreparer({
        serde: options.serde,
        initiatives: options.initiatives,
        repository,
        spans,
        onRegistryAnswer: () => this.backoff.registryAnswered(),
      }),
      groupCommit: new GroupCommit<PreparedChunk>(
        tuning.chunkSize,
        (chunk) => chunk.handled.length,
        (chunks) => applier.apply(chunks),
      ),
      backoff: this.backoff,
      logger,
      metrics,
    });
  }

  get topics(): readonly string[] {
    return this.subscribed;
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.deadLetters.start();
    await this.refreshTopics('start');
    this.refreshTimer = setInterval(() => void this.refreshTopics('topic refresh'), this.options.tuning.topicRefreshMs);
    this.refreshTimer.unref();
  }

  /** Stops consuming after the chunk in flight; resolved offsets are committed as the consumer leaves. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.refreshTimer);
    this.backoff.stop();
    await this.restarting;
    await this.consumer?.disconnect().catch(() => undefined);
    await this.deadLetters.stop();
    await this.admin.disconnect().catch(() => undefined);
  }

  /** For /readyz: the consumer has joined its group (or has no topic to consume yet). */
  readiness(): { ok: boolean; detail: string } {
    if (this.stopped) return { ok: false, detail: 'stopped' };
    if (this.needsRestart) return { ok: false, detail: `consumer down (${this.needsRestart}); restarting` };
    if (this.subscribed.length === 0) return { ok: true, detail: 'no topic matches the pattern yet' };
    if (!this.joined) return { ok: false, detail: 'joining the consumer group' };
    return {
      ok: true,
      detail: `${this.subscribed.length} topics${this.backoff.registryAvailable ? '' : '; schema registry unavailable, retrying'}`,
    };
  }

  /** Re-reads the topic list and restarts the consumer when the matching set changed or it crashed. */
  refreshTopics(reason: string): Promise<void> {
    this.restarting = this.restarting
      .then(() => this.refresh(reason))
      .catch((error: unknown) =>
        this.options.logger.error(
          { err: { type: (error as Error).name, message: (error as Error).message } },
          'topic refresh failed; will try again',
        ),
      );
    return this.restarting;
  }

  private async refresh(reason: string): Promise<void> {
    if (this.stopped) return;
    const matching = (await this.admin.listTopics()).filter((topic) => this.options.topicPattern.test(topic)).sort();
    const changed = matching.join(',') !== this.subscribed.join(',');
    if (!changed && !this.needsRestart && (this.consumer || matching.length === 0)) return;
    const added = matching.filter((topic) => !this.subscribed.includes(topic));
    this.options.logger.info(
      { groupId: this.options.groupId, topics: matching.length, added, reason: this.needsRestart ?? reason },
      'starting consumer',
    );
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
    this.spans.follow(consumer);
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
        eachBatch: (payload) => this.batches.eachBatch(payload),
      });
    } catch (error) {
      // Left undefined, the consumer is started again at the next refresh.
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    this.consumer = consumer;
  }
}
