// Generated from schemas/avro/envelope.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

import type { Ministry } from './ministry.ts';

/** Fully-qualified Avro name of Envelope. */
export const ENVELOPE_FULL_NAME = 'ca.on.passerelle.v1.Envelope';

/**
 * What every event carries before its own fields: identity, time, provenance, the thread of events
 * it belongs to, and the W3C trace context of the request that caused it.
 */
export interface Envelope {
  /**
   * Random UUID of this event, set once by the producer; consumers apply each eventId at most
   * once.
   */
  readonly eventId: string;
  /**
   * When the fact happened in the source ministry's system, in milliseconds since the Unix epoch
   * (UTC).
   */
  readonly occurredAt: number;
  /**
   * The ministry, or the coordination office, whose adapter published the event; it matches the
   * owner of the topic it travels on.
   */
  readonly sourceMinistry: Ministry;
  /**
   * Id of the referral, service gap (UUIDs) or strategy initiative (catalogue id such as
   * S2016-P1-03) the event belongs to; equal to the message key.
   */
  readonly correlationId: string;
  /** The eventId of the event that led to this one, when there is one. */
  readonly causationId: null | string;
  /**
   * Revision of the event's contract the producer wrote with: 1 for the first, raised with each
   * compatible change. A breaking change gets a new namespace and new topics instead.
   */
  readonly schemaVersion: number;
  /**
   * W3C Trace Context traceparent of the span that produced the event, so consumers continue the
   * same trace.
   */
  readonly traceparent: null | string;
  /** W3C Trace Context tracestate that goes with traceparent: vendor keys and opaque values only. */
  readonly tracestate: null | string;
  /**
   * When the publishing adapter accepted the record the event came from (schema version 2 on), in
   * milliseconds since the Unix epoch (UTC): the first hop of the pipeline's own latency, after
   * occurredAt's business time. Null from producers before it.
   */
  readonly acceptedAt: null | number;
}
