import { describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode, type SpanContext } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { remoteEndpointOf, toZipkinSpan } from './zipkin-span.ts';

const spanContext: SpanContext = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 };

function readable(kind: SpanKind, attributes: ReadableSpan['attributes']): ReadableSpan {
  return {
    name: 'send justice.referrals.v1',
    kind,
    spanContext: () => spanContext,
    parentSpanContext: { traceId: 'a'.repeat(32), spanId: 'c'.repeat(16), traceFlags: 1 },
    startTime: [1_700_000_000, 500_000],
    endTime: [1_700_000_000, 2_500_000],
    duration: [0, 2_000_000],
    status: { code: SpanStatusCode.ERROR, message: 'KafkaJSError' },
    attributes,
    links: [],
    events: [{ name: 'retry', time: [1_700_000_000, 1_000_000] }],
    ended: true,
    resource: resourceFromAttributes({ 'service.name': 'adapter-justice' }),
    instrumentationScope: { name: '@passerelle/kafka' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

describe('remoteEndpointOf', () => {
  it('names a Kafka producer or consumer span peer "kafka" and locates the broker from server.address and server.port', () => {
    const attributes = { 'messaging.system': 'kafka', 'server.address': '127.0.0.1', 'server.port': 9092 };

    expect(remoteEndpointOf(SpanKind.PRODUCER, attributes)).toEqual({ serviceName: 'kafka', ipv4: '127.0.0.1', port: 9092 });
    expect(remoteEndpointOf(SpanKind.CONSUMER, attributes)).toEqual({ serviceName: 'kafka', ipv4: '127.0.0.1', port: 9092 });
  });

  it('prefers peer.service, reads the older net.peer.name and net.peer.port, and keeps a host name out of the address fields', () => {
    expect(remoteEndpointOf(SpanKind.CLIENT, { 'peer.service': 'registry', 'net.peer.name': '::1', 'net.peer.port': '8081' })).toEqual({
      serviceName: 'registry',
      ipv6: '::1',
      port: 8081,
    });
    expect(remoteEndpointOf(SpanKind.PRODUCER, { 'messaging.system': 'kafka', 'server.address': 'broker-1.example' })).toEqual({
      serviceName: 'kafka',
    });
  });

  it('gives none to server and internal spans, whose server.address is their own, nor to a span without peer attributes', () => {
    expect(remoteEndpointOf(SpanKind.SERVER, { 'server.address': '127.0.0.1', 'server.port': 8101 })).toBeUndefined();
    expect(remoteEndpointOf(SpanKind.INTERNAL, { 'messaging.system': 'kafka' })).toBeUndefined();
    expect(remoteEndpointOf(SpanKind.CLIENT, { 'http.request.method': 'GET', 'server.port': 0 })).toBeUndefined();
  });
});

describe('toZipkinSpan', () => {
  it('writes the span as the OpenTelemetry Zipkin exporter does, plus its remote endpoint', () => {
    const span = toZipkinSpan(
      readable(SpanKind.PRODUCER, { 'messaging.system': 'kafka', 'server.address': '127.0.0.1', 'server.port': 9092 }),
      'adapter-justice',
    );

    expect(span).toEqual({
      traceId: 'a'.repeat(32),
      id: 'b'.repeat(16),
      parentId: 'c'.repeat(16),
      name: 'send justice.referrals.v1',
      kind: 'PRODUCER',
      timestamp: 1_700_000_000_000_500,
      duration: 2_000,
      localEndpoint: { serviceName: 'adapter-justice' },
      remoteEndpoint: { serviceName: 'kafka', ipv4: '127.0.0.1', port: 9092 },
      tags: {
        'messaging.system': 'kafka',
        'server.address': '127.0.0.1',
        'server.port': '9092',
        'otel.status_code': 'ERROR',
        error: 'KafkaJSError',
        'service.name': 'adapter-justice',
      },
      annotations: [{ timestamp: 1_700_000_000_001_000, value: 'retry' }],
    });
  });

  it('leaves kind and remote endpoint out of an internal span', () => {
    const span = toZipkinSpan(readable(SpanKind.INTERNAL, {}), 'projector');

    expect(span.kind).toBeUndefined();
    expect(span).not.toHaveProperty('remoteEndpoint');
  });
});
