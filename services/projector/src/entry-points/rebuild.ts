import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventSerde, RegistryClient } from '@passerelle/contracts';
import { createDatabase } from '@passerelle/db';
import { createKafka, highWatermarks } from '@passerelle/kafka';
import { createLogger, type Logger } from '@passerelle/logging';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import type { ProjectorConfig } from '../config.ts';
import { prepareView } from '../projector.ts';
import type { TableDifference } from '../data-access/view-snapshot.repository.ts';
import { switchViewSchemas, type SwitchCheck } from '../data-access/view-schemas.repository.ts';
import { ProjectorConsumer } from './projector-consumer.ts';

export interface RebuildProgress {
  readonly phase: 'replaying' | 'switching';
  /** Messages handled so far (applied, dropped as duplicates, or dead-lettered). */
  readonly events: number;
  readonly eventsPerSecond: number;
  /** Messages between the rebuild's position and the topics' ends. */
  readonly lag: number;
  readonly elapsedMs: number;
}

export interface RebuildOptions {
  readonly logger?: Logger;
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** Refuse to switch unless the rebuilt view equals the live one table by table (bookkeeping aside). */
  readonly expectIdentical?: boolean;
  readonly progressIntervalMs?: number;
  readonly maxSwitchAttempts?: number;
}

export interface RebuildReport {
  /** The name the view was built under; once switched, it carries the live name. */
  readonly rebuiltSchema: string;
  readonly liveSchema: string;
  /** The previous view, kept under this name for comparison or rollback (absent if there was none). */
  readonly retiredSchema: string | undefined;
  readonly consumerGroup: string;
  readonly events: number;
  readonly durationMs: number;
  readonly eventsPerSecond: number;
  readonly check: SwitchCheck;
  readonly identical: boolean;
  readonly switched: boolean;
}

export class RebuildVerificationError extends Error {
  readonly code = 'REBUILD_NOT_IDENTICAL';
  readonly retryable = false;

  constructor(readonly report: RebuildReport) {
    super(
      `the rebuilt view ${report.rebuiltSchema} differs from the live one, so it was not switched in:\n` +
        report.check.differences
          .filter((d) => d.onlyInA + d.onlyInB > 0)
          .map((d) => `  ${d.table}: ${d.onlyInA} rows only in the live view, ${d.onlyInB} only in the rebuilt one`)
          .join('\n'),
    );
    this.name = 'RebuildVerificationError';
  }
}

const isIdentical = (differences: readonly TableDifference[]) => differences.every((d) => d.onlyInA === 0 && d.onlyInB === 0);

/**
 * Rebuilds the view from offset 0 of every matching topic into a fresh schema, with a consumer
 * group of its own, while the live projector keeps serving and writing the current view. When
 * the rebuild has caught up with the topics' ends, one transaction holding the live view's lock
 * checks that it holds every event the live view applied, compares the two table by table,
 * and renames the schemas. If the live view applied something the rebuild has not yet seen,
 * the rebuild catches up again and retries.
 */
export async function runRebuild(config: ProjectorConfig, options: RebuildOptions = {}): Promise<RebuildReport> {
  const logger = options.logger ?? createLogger({ service: 'projector-rebuild', level: config.logLevel });
  const stamp = `${new Date().toISOString().replace(/[^0-9]/g, '').slice(0, 14)}_${randomBytes(2).toString('hex')}`;
  const names = { live: config.viewSchema, rebuilt: `${config.viewSchema}_rebuild_${stamp}`, retired: `${config.viewSchema}_retired_${stamp}` };
  const groupId = `${config.consumerGroup}-rebuild-${stamp}`;
  const began = Date.now();
  const db = createDatabase({ url: config.databaseUrl, schema: names.rebuilt, applicationName: 'passerelle-projector-rebuild' });
  const kafka = createKafka({ clientId: 'passerelle-projector-rebuild', brokers: config.kafkaBrokers, sasl: config.kafkaSasl, logger });
  const admin = kafka.admin();
  const positions = new Map<string, number>();
  let events = 0;
  const progress = (phase: RebuildProgress['phase'], lag: number): RebuildProgress => {
    const elapsedMs = Date.now() - began;
    return { phase, events, eventsPerSecond: elapsedMs > 0 ? Math.round((events / elapsedMs) * 1000) : 0, lag, elapsedMs };
  };

  try {
    const repository = await prepareView(db, names.rebuilt);
    await admin.connect();
    const serde = new EventSerde(new RegistryClient({ url: config.registryUrl }));
    const initiatives = initiativesById(loadCatalogue());
    logger.info({ schema: names.rebuilt, groupId }, 'rebuild started');

    for (let attempt = 1; ; attempt++) {
      const consumer = new ProjectorConsumer({
        kafka,
        groupId,
        topicPattern: config.topicPattern,
        deadLetterTopic: config.deadLetterTopic,
        publishDeadLetters: false,
        serde,
        initiatives,
        repository,
        logger,
        tuning: { ...config, topicRefreshMs: Math.min(config.topicRefreshMs, 5_000) },
        onProgress: (chunk) => {
          positions.set(`${chunk.topic}:${chunk.partition}`, chunk.nextOffset);
          events += chunk.applied + chunk.duplicates + chunk.deadLetters;
        },
      });
      await consumer.start();
      try {
        for (;;) {
          const marks = await highWatermarks(admin, consumer.topics);
          let lag = 0;
          for (const [key, mark] of marks) lag += Math.max(0, mark.high - Math.max(mark.low, positions.get(key) ?? mark.low));
          options.onProgress?.(progress('replaying', lag));
          if (lag === 0) break;
          await sleep(options.progressIntervalMs ?? 1_000);
        }
      } finally {
        // Stopped before the switch: after the rename its schema name no longer exists.
        await consumer.stop();
      }

      options.onProgress?.(progress('switching', 0));
      const result = await switchViewSchemas(db, names, (check) => {
        if (!options.expectIdentical) return 'switch';
        if (check.extra > 0) return 'retry'; // the live view has not reached the end yet: let it catch up
        return isIdentical(check.differences) ? 'switch' : 'abort';
      });
      const report: RebuildReport = {
        rebuiltSchema: names.rebuilt,
        liveSchema: names.live,
        retiredSchema: undefined,
        consumerGroup: groupId,
        events,
        durationMs: Date.now() - began,
        eventsPerSecond: progress('switching', 0).eventsPerSecond,
        check: result.check,
        identical: result.check.missing === 0 && result.check.extra === 0 && isIdentical(result.check.differences),
        switched: result.outcome === 'switched',
      };
      if (result.outcome === 'switched') {
        const liveExisted = result.liveExisted;
        logger.info({ schema: names.live, retired: liveExisted ? names.retired : undefined, events, durationMs: report.durationMs, identical: report.identical }, 'rebuild switched in');
        await admin.deleteGroups([groupId]).catch(() => undefined);
        return { ...report, retiredSchema: liveExisted ? names.retired : undefined };
      }
      if (result.outcome === 'abort') throw new RebuildVerificationError(report);
      if (attempt >= (options.maxSwitchAttempts ?? 20)) throw new Error(`the rebuild could not catch up with the live view after ${attempt} attempts (missing ${result.check.missing}, extra ${result.check.extra})`);
      logger.info({ missing: result.check.missing, extra: result.check.extra, attempt }, 'views not aligned yet; catching up before switching');
      await sleep(1_000);
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
    await db.destroy();
  }
}
