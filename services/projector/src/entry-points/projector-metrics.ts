import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PartitionLag } from '@passerelle/kafka';

export interface MetricSources {
  lag(): Promise<readonly PartitionLag[]>;
  illegalTransitions(): Promise<Record<string, number>>;
  pendingReferrals(): Promise<number>;
}

/**
 * What operators watch: lag per partition, events applied per type, redeliveries dropped,
 * dead letters by reason, batch duration, illegal transitions and referrals waiting for their
 * creation. Gauges that need a query are computed when /metrics is scraped.
 */
export class ProjectorMetrics {
  readonly applied: Counter<'event_type'>;
  readonly duplicates: Counter<'event_type'>;
  readonly deadLetters: Counter<'reason'>;
  readonly batchDuration: Histogram;
  readonly registryRetries: Counter;
  readonly transactionRetries: Counter<'sql_state'>;
  readonly consumerRestarts: Counter<'reason'>;
  readonly topicsSubscribed: Gauge;

  constructor(registry: Registry, sources: MetricSources) {
    const registers = [registry];
    this.applied = new Counter({
      name: 'projector_events_applied_total',
      help: 'Events applied to the view, by event type',
      labelNames: ['event_type'],
      registers,
    });
    this.duplicates = new Counter({
      name: 'projector_events_duplicate_total',
      help: 'Redelivered events whose id was already applied, dropped',
      labelNames: ['event_type'],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'projector_dead_letters_total',
      help: 'Messages sent to the dead-letter topic, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.batchDuration = new Histogram({
      name: 'projector_batch_duration_seconds',
      help: 'Time to process one Kafka batch (decode, check, PostgreSQL transactions, offsets)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.registryRetries = new Counter({
      name: 'projector_registry_retries_total',
      help: 'Partitions paused because the schema registry was unavailable',
      registers,
    });
    this.transactionRetries = new Counter({
      name: 'projector_transaction_retries_total',
      help: 'View transactions retried after a deadlock or serialization failure, by SQLSTATE',
      labelNames: ['sql_state'],
      registers,
    });
    this.consumerRestarts = new Counter({
      name: 'projector_consumer_restarts_total',
      help: 'Consumer (re)starts, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.topicsSubscribed = new Gauge({
      name: 'projector_topics_subscribed',
      help: 'Topics matching the pattern that the consumer is subscribed to',
      registers,
    });
    new Gauge({
      name: 'projector_consumer_lag',
      help: 'Messages not yet committed by the consumer group, per topic partition',
      labelNames: ['topic', 'partition'],
      registers,
      async collect() {
        this.reset();
        for (const entry of await sources.lag().catch(() => []))
          this.set({ topic: entry.topic, partition: String(entry.partition) }, entry.lag);
      },
    });
    new Gauge({
      name: 'projector_illegal_transitions',
      help: 'Referral events not applied because the life cycle forbids them, by reason (current, after refolds)',
      labelNames: ['reason'],
      registers,
      async collect() {
        this.reset();
        for (const [reason, count] of Object.entries(await sources.illegalTransitions().catch(() => ({})))) this.set({ reason }, count);
      },
    });
    new Gauge({
      name: 'projector_pending_referrals',
      help: 'Referrals with events in the history whose creation has not arrived',
      registers,
      async collect() {
        this.set(await sources.pendingReferrals().catch(() => 0));
      },
    });
  }
}
