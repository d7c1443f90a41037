import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/** Attributes that can carry what a caller typed (query strings) or a message key. */
const DROPPED = ['url.query', 'http.target', 'messaging.kafka.message.key', 'messaging.kafka.message_key'];
/** URL attributes kept without their query string. */
const STRIPPED_OF_QUERY = ['url.full', 'http.url'];
/** URL attributes whose identifiers are replaced by a placeholder (a referral id is also its Kafka key). */
const IDENTIFIERS_MASKED = ['url.full', 'http.url', 'url.path'];
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * Runs before the exporting processor and removes attributes that could hold personal data:
 * query strings can carry filters or identifiers, message keys are out of scope by rule, and
 * ids in URL paths (`/v1/referrals/<uuid>`) are message keys too; the route template stays.
 */
export class RedactingSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    const attributes = span.attributes as Record<string, unknown>;
    for (const key of DROPPED) delete attributes[key];
    for (const key of STRIPPED_OF_QUERY) {
      const value = attributes[key];
      if (typeof value === 'string' && value.includes('?')) attributes[key] = value.slice(0, value.indexOf('?'));
    }
    for (const key of IDENTIFIERS_MASKED) {
      const value = attributes[key];
      if (typeof value === 'string') attributes[key] = value.replace(UUID, ':id');
    }
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
