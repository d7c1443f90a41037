import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { minute, referral } from '../testing/event-builders.ts';
import { startProjectorFixture, TestTopics, waitFor, type ProjectorFixture } from '../testing/stack-harness.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

interface StartedSpan {
  readonly name: string;
  readonly kind: number | undefined;
  /** Given at the start or set afterwards. */
  readonly attributes: Attributes;
  /** Given at the start or added afterwards. */
  readonly links: readonly Link[];
  readonly parent: SpanContext | undefined;
  readonly context: SpanContext;
  /** Set after the start. */
  readonly later: Attributes;
}

/** Records what the service asks of the OpenTelemetry API; the service itself never loads an SDK. */
class RecordingTracerProvider implements TracerProvider {
  readonly spans: StartedSpan[] = [];

  getTracer(): Tracer {
    const spans = this.spans;
    const startSpan = (name: string, options: SpanOptions = {}, context?: Context): Span => {
      const parent = context ? trace.getSpanContext(context) : undefined;
      const spanContext: SpanContext = {
        traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
        spanId: randomBytes(8).toString('hex'),
        traceFlags: 1,
      };
      const later: Attributes = {};
      const attributes: Attributes = { ...options.attributes };
      const links: Link[] = [...(options.links ?? [])];
      spans.push({ name, kind: options.kind, attributes, links, parent, context: spanContext, later });
      const span = trace.wrapSpanContext(spanContext);
      span.isRecording = () => true;
      span.setAttribute = (key, value) => {
        if (value !== undefined) later[key] = attributes[key] = value;
        return span;
      };
      span.setAttributes = (added) => {
        Object.assign(later, added);
        Object.assign(attributes, added);
        return span;
      };
      span.addLink = (link) => {
        links.push(link);
        return span;
      };
      return span;
    };
    return { startSpan, startActiveSpan: (() => undefined) as unknown as Tracer['startActiveSpan'] };
  }
}

const stack = inject('stack');
const topics = new TestTopics(stack);
const provider = new RecordingTracerProvider();
let fixture: ProjectorFixture;

beforeAll(async () => {
  trace.setGlobalTracerProvider(provider);
  fixture = await startProjectorFixture({ topics, databasePrefix: 'projector_tracing' });
});

afterAll(async () => {
  await fixture?.stop();
  trace.disable();
});

describe('consumer spans', () => {
  it('continue the trace in each message header, link to the batch span, and carry messaging attributes but no values', async () => {
    const person = referral();
    const traceId = randomBytes(16).toString('hex');
    const producerSpanId = randomBytes(8).toString('hex');
    const created = person.created(minute(0));
    const event = { ...created, position: { ...created.position, topic: `${topics.prefix}${created.position.topic}` } };
    const traceparent = `00-${traceId}-${producerSpanId}-01`;
    const payload = { ...event.payload, envelope: { ...event.payload.envelope, traceparent } };

    await fixture.producer.produce([{ ...event, payload }]);
    await waitFor(
      'the event applied',
      async () => (await fixture.db(`view.${VIEW_TABLE.processed_events}`).where({ event_id: event.eventId })).length === 1,
    );

    const span = provider.spans.find((s) => s.later['messaging.message.id'] === event.eventId) as StartedSpan;
    expect(span.parent).toMatchObject({ traceId, spanId: producerSpanId, isRemote: true });
    expect(span.kind).toBe(4); // SpanKind.CONSUMER
    expect(span.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': event.position.topic,
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': `projector-test-${topics.prefix.slice(1, -1)}`,
    });
    expect(span.attributes['messaging.destination.partition.id']).toMatch(/^\d$/);
    expect(typeof span.attributes['messaging.kafka.offset']).toBe('number');
    expect(span.later).toMatchObject({ 'passerelle.event.type': 'ReferralCreated', 'passerelle.projector.outcome': 'applied' });
    const batch = provider.spans.find((s) => s.context.spanId === span.links[0]?.context.spanId);
    expect(batch?.attributes['messaging.batch.message_count']).toBeGreaterThanOrEqual(1);
    // The statement that wrote the event's history row is shown in the event's trace, under its apply span.
    const write = provider.spans.find(
      (s) => s.name === `INSERT view.${VIEW_TABLE.referral_history}` && s.parent?.spanId === span.context.spanId,
    );
    expect(write?.kind).toBe(2); // SpanKind.CLIENT
    expect(write?.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.operation.name': 'INSERT',
      'db.collection.name': `view.${VIEW_TABLE.referral_history}`,
    });
    expect(write?.attributes['db.query.text']).toMatch(/^INSERT INTO "view"\."referral_history" .* FROM jsonb_to_recordset\(\$1::jsonb\)/);
    expect(write?.attributes['db.operation.batch.size']).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(provider.spans)).not.toContain(person.pseudonym);
    const stored = (await fixture.db(`view.${VIEW_TABLE.referral_history}`).where({ event_id: event.eventId }).first()) as {
      trace_id: string;
    };
    expect(stored.trace_id).toBe(traceId);
  });
});
