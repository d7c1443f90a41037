/**
 * The operator's pipeline figures: the latency of each hop of the pipeline (from the view), and
 * the outbox and consumer lag the services report on their /metrics. No personal data: topics,
 * partitions, counts and durations only.
 */

/** One sample of a Prometheus text exposition: the metric's name, its labels and its value. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of a Prometheus (or OpenMetrics) text exposition; comments and malformed lines are skipped. */
export function parsePrometheusText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line.trim());
    if (!match) continue;
    const value = Number(match[3]);
    if (Number.isNaN(value)) continue;
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) if (key) labels[key] = (raw ?? '').replace(/\\(.)/g, '$1');
    samples.push({ name: match[1] ?? '', labels, value });
  }
  return samples;
}

/** A service whose /metrics the view API reads for the operator, and what it found there. */
export interface ServicePipelineFigures {
  readonly service: string;
  readonly reachable: boolean;
  /** Outbox rows not yet published, and the age of the oldest (adapters). */
  readonly outboxDepth: number | null;
  readonly oldestUnpublishedAgeSeconds: number | null;
  /** Messages behind the end of each partition (the projector). */
  readonly consumerLag: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly lag: number }>;
}

const first = (samples: readonly MetricSample[], name: string): number | null => samples.find((s) => s.name === name)?.value ?? null;

export function pipelineFiguresOf(service: string, samples: readonly MetricSample[] | undefined): ServicePipelineFigures {
  if (samples === undefined) return { service, reachable: false, outboxDepth: null, oldestUnpublishedAgeSeconds: null, consumerLag: [] };
  return {
    service,
    reachable: true,
    outboxDepth: first(samples, 'outbox_depth'),
    oldestUnpublishedAgeSeconds: first(samples, 'outbox_oldest_unpublished_age_seconds'),
    consumerLag: samples
      .filter((sample) => sample.name === 'projector_consumer_lag' && sample.labels['topic'] !== undefined)
      .map((sample) => ({ topic: sample.labels['topic'] ?? '', partition: Number(sample.labels['partition'] ?? 0), lag: sample.value }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
  };
}

/** The pipeline's hops: the adapter's acceptance → the Kafka publication → applied to the view. */
export type PipelineHop = 'acceptedToPublished' | 'publishedToApplied' | 'acceptedToApplied';

/** Percentiles of one hop's latency over a window, in milliseconds; null without any sample. */
export interface HopLatency {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly max: number | null;
}

/** A service whose /metrics the operator's pipeline page reads (PASSERELLE_PIPELINE_METRICS). */
export interface PipelineSource {
  readonly service: string;
  /** The service's base URL; `/metrics` is appended. */
  readonly url: string;
}

/** Parses `name=url,…` (PASSERELLE_PIPELINE_METRICS); the problem when it is malformed. */
export function parsePipelineSources(value: string): { sources: PipelineSource[] } | { problem: string } {
  const sources: PipelineSource[] = [];
  for (const item of value.split(',').map((part) => part.trim())) {
    const at = item.indexOf('=');
    const service = item.slice(0, at);
    const url = item.slice(at + 1).replace(/\/+$/, '');
    if (at <= 0 || !/^[a-z][a-z0-9-]{0,62}$/.test(service) || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      return { problem: 'must be a comma-separated list of service=http(s)://host:port' };
    sources.push({ service, url });
  }
  return { sources };
}
