import type { EventSerde, EventType } from '@passerelle/contracts';
import { initiativesById, loadCatalogue, type Initiative } from '@passerelle/schemas';
// The projector's own scenario generator: realistic referrals, milestones and gaps, with clock
// skew, ties, illegal transitions, consent withdrawals and duplicates, reproducible by seed.
import { generateScenario } from '@passerelle/projector/testing';

export interface BenchEvent {
  readonly eventId: string;
  readonly type: EventType;
  /** Topic without the run's namespace: `justice.referrals.v1`. */
  readonly topic: string;
  readonly key: string;
  readonly payload: unknown;
  readonly traceparent: string | null;
}

export interface EncodedEvent {
  readonly eventId: string;
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

let initiatives: Initiative[] | undefined;

/**
 * Exactly `count` events of the production mix (about 80 % referral events, the rest milestones
 * and gaps), generated in slices of a seeded scenario so that a million never sit in memory at once.
 */
export function* generateEvents(count: number, seed = 1, slice = 20_000): Generator<BenchEvent[]> {
  initiatives ??= [...initiativesById(loadCatalogue()).values()];
  let left = count;
  let part = 0;
  while (left > 0) {
    const want = Math.min(slice, left);
    // About 3.2 events per referral, plus gaps and milestones; generate a little more and cut.
    const events = generateScenario({
      seed: seed * 100_003 + part++,
      referrals: Math.ceil((want * 0.8) / 3) + 10,
      gaps: Math.ceil(want * 0.03) + 2,
      milestones: Math.ceil(want * 0.1) + 2,
      initiatives,
    }).slice(0, want);
    left -= events.length;
    yield events.map((event) => {
      const envelope = (event.payload as { envelope: { correlationId: string; traceparent: string | null } }).envelope;
      return {
        eventId: event.eventId,
        type: event.type as EventType,
        topic: event.position.topic,
        key: envelope.correlationId,
        payload: event.payload,
        traceparent: envelope.traceparent,
      };
    });
  }
}

/** Confluent-framed Avro with the registered schema ids, exactly as adapters publish it. */
export async function encodeEvents(serde: EventSerde, events: readonly BenchEvent[], prefix: string): Promise<EncodedEvent[]> {
  const encoded: EncodedEvent[] = [];
  for (const event of events) {
    encoded.push({
      eventId: event.eventId,
      topic: `${prefix}${event.topic}`,
      key: event.key,
      value: await serde.encode(event.type, event.payload as never),
      headers: event.traceparent ? { traceparent: event.traceparent } : {},
    });
  }
  return encoded;
}
