import { describe, expect, it } from 'vitest';
import { parsePipelineSources, parsePrometheusText, pipelineFiguresOf } from './pipeline.ts';

const EXPOSITION = `# HELP outbox_depth Outbox rows not yet published
# TYPE outbox_depth gauge
outbox_depth 12
outbox_oldest_unpublished_age_seconds 3.5
projector_consumer_lag{topic="justice.referrals.v1",partition="1"} 4
projector_consumer_lag{topic="justice.referrals.v1",partition="0"} 7
projector_consumer_lag{topic="a \\"quoted\\" topic",partition="2"} 1 1700000000000
http_server_duration_seconds_bucket{le="+Inf",route="/x"} 3
garbage line without value
weird_value NaNish
`;

describe('the pipeline figures', () => {
  it('reads samples, labels (escapes included) and values of a Prometheus exposition, skipping comments and garbage', () => {
    const samples = parsePrometheusText(EXPOSITION);
    expect(samples.map((sample) => sample.name)).toEqual([
      'outbox_depth',
      'outbox_oldest_unpublished_age_seconds',
      'projector_consumer_lag',
      'projector_consumer_lag',
      'projector_consumer_lag',
      'http_server_duration_seconds_bucket',
    ]);
    expect(samples[4]).toEqual({ name: 'projector_consumer_lag', labels: { topic: 'a "quoted" topic', partition: '2' }, value: 1 });
  });

  it('keeps the outbox and the lag per partition in order, and says unreachable rather than zero', () => {
    expect(pipelineFiguresOf('adapter-justice', parsePrometheusText(EXPOSITION))).toEqual({
      service: 'adapter-justice',
      reachable: true,
      outboxDepth: 12,
      oldestUnpublishedAgeSeconds: 3.5,
      consumerLag: [
        { topic: 'a "quoted" topic', partition: 2, lag: 1 },
        { topic: 'justice.referrals.v1', partition: 0, lag: 7 },
        { topic: 'justice.referrals.v1', partition: 1, lag: 4 },
      ],
    });
    expect(pipelineFiguresOf('projector', undefined)).toEqual({
      service: 'projector',
      reachable: false,
      outboxDepth: null,
      oldestUnpublishedAgeSeconds: null,
      consumerLag: [],
    });
  });

  it('parses PASSERELLE_PIPELINE_METRICS and refuses anything but service=http(s) URL pairs', () => {
    expect(parsePipelineSources('adapter-justice=http://127.0.0.1:8101/, projector=https://projector.internal:8110')).toEqual({
      sources: [
        { service: 'adapter-justice', url: 'http://127.0.0.1:8101' },
        { service: 'projector', url: 'https://projector.internal:8110' },
      ],
    });
    for (const bad of [
      'projector',
      '=http://x',
      'Projector=http://x',
      'projector=file:///etc/passwd',
      'projector=not a url',
      'a=http://x,',
    ])
      expect(parsePipelineSources(bad)).toEqual({ problem: 'must be a comma-separated list of service=http(s)://host:port' });
  });
});
