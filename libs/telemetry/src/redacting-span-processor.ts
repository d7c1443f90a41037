import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/** Attributes that can carry what a caller typed (query strings) or a message key. */
const DROPPED = ['url.query', 'http.target', 'messaging.kafka.message.key', 'messaging.kafka.message_key'];
/** URL attributes kept without their query string. */
const STRIPPED_OF_QUERY = ['url.full', 'http.url'];

/**
 * Runs before the exporting processor and removes attributes that could hold personal data:
 * query strings can carry filters or identifiers, message keys are out of scope by rule.
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
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
