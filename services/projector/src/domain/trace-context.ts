const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The parts of a W3C traceparent, or undefined when it is absent or invalid. */
export function parseTraceparent(value: string | null | undefined): { traceId: string; spanId: string; traceFlags: number } | undefined {
  const match = value ? TRACEPARENT.exec(value.trim()) : null;
  if (!match) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) };
}

/**
 * The trace an event belongs to: the message header's (the relay's publish span, in the
 * adapter's trace) or else the envelope's. Both name the same trace when both are present.
 */
export function traceIdOf(headerTraceparent: string | undefined, envelopeTraceparent: string | null): string | null {
  return parseTraceparent(headerTraceparent)?.traceId ?? parseTraceparent(envelopeTraceparent)?.traceId ?? null;
}
