import { describe, expect, it } from 'vitest';
import { spansReceived } from './zipkin-load.ts';

describe('spansReceived', () => {
  it('adds the span counters of every transport from Zipkin’s Prometheus text, ignoring comments and other metrics', () => {
    const text = [
      '# HELP zipkin_collector_spans_total Spans received',
      '# TYPE zipkin_collector_spans_total counter',
      'zipkin_collector_spans_dropped_total{transport="http",} 7.0',
      'zipkin_collector_spans_total{transport="http",} 151234.0',
      'zipkin_collector_spans_total{transport="grpc",} 16.0',
    ].join('\n');

    expect(spansReceived(text)).toBe(151_250);
    expect(spansReceived('zipkin_collector_spans_dropped_total 3\n')).toBeUndefined();
  });
});
