import { isIPv4, isIPv6 } from 'node:net';
import { SpanKind, SpanStatusCode, type Attributes, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import {
  ATTR_MESSAGING_SYSTEM,
  ATTR_NET_PEER_NAME,
  ATTR_NET_PEER_PORT,
  ATTR_PEER_SERVICE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from './semconv.ts';

/** A node of Zipkin's service graph, as its v2 API takes it. */
export interface ZipkinEndpoint {
  readonly serviceName?: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
  readonly port?: number;
}

/** A span as Zipkin's v2 API takes it (POST /api/v2/spans). */
export interface ZipkinSpan {
  readonly traceId: string;
  readonly id: string;
  readonly parentId?: string;
  readonly name: string;
  readonly kind?: 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';
  readonly timestamp: number;
  readonly duration: number;
  readonly localEndpoint: ZipkinEndpoint;
  readonly remoteEndpoint?: ZipkinEndpoint;
  readonly tags: Record<string, string>;
  readonly annotations?: readonly { readonly timestamp: number; readonly value: string }[];
}

const KINDS: Readonly<Record<SpanKind, ZipkinSpan['kind']>> = {
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
  [SpanKind.INTERNAL]: undefined,
};

const microseconds = (time: HrTime): number => Math.round(time[0] * 1e6 + time[1] / 1e3);

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function port(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) && number > 0 && number < 65_536 ? number : undefined;
}

/**
 * The peer of a span that calls out (CLIENT, PRODUCER, CONSUMER: for messaging, the broker), from
 * the OpenTelemetry attributes: `peer.service`, else the messaging system, names it in the service
 * graph; `server.address`/`server.port` (or the older `net.peer.name`/`net.peer.port`) locate it.
 * Zipkin draws its dependency links from this endpoint, which its OpenTelemetry exporter never sets.
 */
export function remoteEndpointOf(kind: SpanKind, attributes: Attributes): ZipkinEndpoint | undefined {
  if (kind !== SpanKind.CLIENT && kind !== SpanKind.PRODUCER && kind !== SpanKind.CONSUMER) return undefined;
  const serviceName = text(attributes[ATTR_PEER_SERVICE]) ?? text(attributes[ATTR_MESSAGING_SYSTEM]);
  const address = text(attributes[ATTR_SERVER_ADDRESS]) ?? text(attributes[ATTR_NET_PEER_NAME]);
  const peerPort = port(attributes[ATTR_SERVER_PORT] ?? attributes[ATTR_NET_PEER_PORT]);
  const endpoint: ZipkinEndpoint = {
    ...(serviceName === undefined ? {} : { serviceName }),
    ...(address !== undefined && isIPv4(address) ? { ipv4: address } : {}),
    ...(address !== undefined && isIPv6(address) ? { ipv6: address } : {}),
    ...(peerPort === undefined ? {} : { port: peerPort }),
  };
  return Object.keys(endpoint).length > 0 ? endpoint : undefined;
}

/** Attributes, status and resource as Zipkin tags, as the OpenTelemetry Zipkin exporter writes them. */
function tagsOf(span: ReadableSpan): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of Object.entries(span.attributes)) tags[key] = String(value);
  if (span.status.code !== SpanStatusCode.UNSET) tags['otel.status_code'] = SpanStatusCode[span.status.code];
  if (span.status.code === SpanStatusCode.ERROR && span.status.message) tags['error'] = span.status.message;
  if (span.droppedAttributesCount) tags['otel.dropped_attributes_count'] = String(span.droppedAttributesCount);
  if (span.droppedEventsCount) tags['otel.dropped_events_count'] = String(span.droppedEventsCount);
  if (span.droppedLinksCount) tags['otel.dropped_links_count'] = String(span.droppedLinksCount);
  for (const [key, value] of Object.entries(span.resource.attributes)) tags[key] = String(value);
  return tags;
}

/** One OpenTelemetry span in Zipkin's v2 form, with the remote endpoint of a span that has a peer. */
export function toZipkinSpan(span: ReadableSpan, serviceName: string): ZipkinSpan {
  const { traceId, spanId } = span.spanContext();
  const kind = KINDS[span.kind];
  const remoteEndpoint = remoteEndpointOf(span.kind, span.attributes);
  return {
    traceId,
    id: spanId,
    ...(span.parentSpanContext?.spanId ? { parentId: span.parentSpanContext.spanId } : {}),
    name: span.name,
    ...(kind === undefined ? {} : { kind }),
    timestamp: microseconds(span.startTime),
    duration: microseconds(span.duration),
    localEndpoint: { serviceName },
    ...(remoteEndpoint === undefined ? {} : { remoteEndpoint }),
    tags: tagsOf(span),
    ...(span.events.length > 0
      ? { annotations: span.events.map((event) => ({ timestamp: microseconds(event.time), value: event.name })) }
      : {}),
  };
}
