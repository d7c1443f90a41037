import { context, propagation } from '@opentelemetry/api';
import type { TopicOwner } from '@passerelle/contracts';
import type { Envelope, EventPayloads, EventTypeName } from '@passerelle/schemas/generated';

/** A canonical event, narrowed by its type. */
export type CanonicalEvent = { [T in EventTypeName]: { readonly type: T; readonly payload: EventPayloads[T] } }[EventTypeName];

/** The W3C trace context of the accepting request, carried in the envelope and the outbox row. */
export interface TraceContext {
  readonly traceparent: string | null;
  readonly tracestate: string | null;
}

/** Everything a pure mapper needs besides the native record: no clock, no database, no randomness of its own. */
export interface MappingContext {
  readonly ministry: TopicOwner;
  /** A fresh random UUID (event ids, gap ids). */
  newId(): string;
  /** When the adapter received the record: the fallback for a native record without a time. */
  readonly receivedAt: number;
  readonly trace: TraceContext;
}

/** The current span's context as W3C headers; empty when no tracing SDK runs. */
export function currentTraceContext(): TraceContext {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return { traceparent: carrier['traceparent'] ?? null, tracestate: carrier['tracestate'] ?? null };
}

/** 2: the envelope carries acceptedAt. */
export const SCHEMA_VERSION = 2;

export function makeEnvelope(ctx: MappingContext, correlationId: string, occurredAt: number, causationId: string | null = null): Envelope {
  return {
    eventId: ctx.newId(),
    occurredAt,
    sourceMinistry: ctx.ministry,
    correlationId,
    causationId,
    schemaVersion: SCHEMA_VERSION,
    traceparent: ctx.trace.traceparent,
    tracestate: ctx.trace.tracestate,
    acceptedAt: ctx.receivedAt,
  };
}
