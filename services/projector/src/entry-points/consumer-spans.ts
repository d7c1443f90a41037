import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import {
  BrokerPeer,
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_CONSUMER_GROUP_NAME,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_DESTINATION_PARTITION_ID,
  ATTR_MESSAGING_KAFKA_OFFSET,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  ATTR_PASSERELLE_DEAD_LETTER_REASON,
  ATTR_PASSERELLE_EVENT_TYPE,
  ATTR_PASSERELLE_OUTCOME,
  MESSAGING_SYSTEM_KAFKA,
  type RequestReporter,
} from '@passerelle/kafka';
import { parseTraceparent } from '../domain/trace-context.ts';

const tracer = trace.getTracer('@passerelle/projector');

/**
 * The consumer's spans: one per batch, and one per message under the trace its event carries,
 * linked to its batch's span. Attributes follow the messaging conventions; never keys or values.
 */
export class ConsumerSpans {
  private peer = new BrokerPeer('Fetch');

  constructor(private readonly groupId: string) {}

  /** The consumer whose fetches name the broker (the spans' peer); a restarted consumer replaces it. */
  follow(consumer: RequestReporter): void {
    this.peer = BrokerPeer.following(consumer, 'Fetch');
  }

  batchSpan(topic: string, partition: number, messageCount: number): Span {
    return tracer.startSpan(`process ${topic}`, {
      kind: SpanKind.CONSUMER,
      attributes: { ...this.processAttributes(topic, partition), [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: messageCount },
    });
  }

  /**
   * Each message's span, under the trace its event carries. Attributes and the link to the batch
   * span are added only to a span that records: nine in ten traces are not sampled in production,
   * and the SDK would still copy and check attributes for each of their messages (the samplers
   * Passerelle configures decide on the trace alone).
   */
  messageSpan(topic: string, partition: number, message: KafkaMessage, headers: Record<string, string>, batchSpan: Span): Span {
    const span = tracer.startSpan(`process ${topic}`, { kind: SpanKind.CONSUMER }, parentContext(headers));
    if (!span.isRecording()) return span;
    span.setAttributes({ ...this.processAttributes(topic, partition), [ATTR_MESSAGING_KAFKA_OFFSET]: Number(message.offset) });
    span.addLink({ context: batchSpan.spanContext() });
    return span;
  }

  /** What the batch span and each message span say of where they consume from. */
  private processAttributes(topic: string, partition: number): Attributes {
    return {
      [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_KAFKA,
      [ATTR_MESSAGING_DESTINATION_NAME]: topic,
      [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(partition),
      [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: this.groupId,
      [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
      [ATTR_MESSAGING_OPERATION_NAME]: 'process',
      ...this.peer.attributes(),
    };
  }
}

function parentContext(headers: Record<string, string>): Context {
  const extracted = propagation.extract(ROOT_CONTEXT, headers);
  if (trace.getSpanContext(extracted)) return extracted;
  // No propagator registered (no SDK in this process): read the W3C header directly, so the trace still continues.
  const parsed = parseTraceparent(headers['traceparent']);
  return parsed ? trace.setSpanContext(ROOT_CONTEXT, { ...parsed, isRemote: true }) : ROOT_CONTEXT;
}

export function markOk(span: Span): void {
  span.setStatus({ code: SpanStatusCode.OK });
}

/** A span whose work failed: its status message is the error's name. */
export function markError(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).name });
}

/** The decoded event a message span is about. */
export function markEvent(span: Span, eventId: string, eventType: string): void {
  if (span.isRecording()) span.setAttributes({ [ATTR_MESSAGING_MESSAGE_ID]: eventId, [ATTR_PASSERELLE_EVENT_TYPE]: eventType });
}

/** What became of a message: applied, dropped as a duplicate, or dead-lettered with its reason. */
export function markOutcome(span: Span | undefined, outcome: 'applied' | 'duplicate' | { deadLetter: string }): void {
  if (typeof outcome === 'string') span?.setAttribute(ATTR_PASSERELLE_OUTCOME, outcome);
  else span?.setAttributes({ [ATTR_PASSERELLE_OUTCOME]: 'dead_letter', [ATTR_PASSERELLE_DEAD_LETTER_REASON]: outcome.deadLetter });
}

/** The context under which a traced message's work is recorded; undefined for one that is not sampled. */
export function recordingContext(span: Span | undefined): Context | undefined {
  return span?.isRecording() ? trace.setSpan(ROOT_CONTEXT, span) : undefined;
}

/** The context of a batch span: where the transaction's statements nest. */
export function batchContext(batchSpan: Span): Context {
  return trace.setSpan(ROOT_CONTEXT, batchSpan);
}
