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
 * Reorders a stream so that the k-th event of each key comes about k × `gap` events after the
 * key's first one, instead of right after it: a referral's status changes arrive far apart in the
 * stream, as changes made days later do, so each takes the projector's history read-back, refold
 * and transition checks on a referral it last wrote long ago. Events of one key keep their order;
 * every event comes out exactly once, in slices as they came in (the delayed ones at the end).
 * Only a key's run of events that arrive together (within `together` of each other, as the
 * scenario generator writes a referral's) is spread; a key that comes back later starts anew.
 */
export function* spreadByKey<T>(slices: Iterable<readonly T[]>, keyOf: (item: T) => string, gap: number, together = 1_000): Generator<T[]> {
  type Entry = { due: number; order: number; item: T };
  const keys = new Map<string, { first: number; last: number; seen: number }>();
  // Pending items by the input position they are due at, then arrival order: a binary min-heap.
  const heap: Entry[] = [];
  const less = (a: Entry, b: Entry) => a.due < b.due || (a.due === b.due && a.order < b.order);
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j] as Entry, heap[i] as Entry]);
  const push = (entry: Entry) => {
    heap.push(entry);
    for (let i = heap.length - 1; i > 0 && less(heap[i] as Entry, heap[(i - 1) >> 1] as Entry); i = (i - 1) >> 1) swap(i, (i - 1) >> 1);
  };
  const pop = (): T => {
    const top = heap[0] as Entry;
    const last = heap.pop() as Entry;
    if (heap.length) {
      heap[0] = last;
      for (let i = 0; ;) {
        let m = i;
        for (const c of [2 * i + 1, 2 * i + 2]) if (c < heap.length && less(heap[c] as Entry, heap[m] as Entry)) m = c;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
    return top.item;
  };
  let position = 0;
  for (const slice of slices) {
    const out: T[] = [];
    for (const item of slice) {
      const key = keyOf(item);
      let state = keys.get(key);
      if (!state || position - state.last > together) {
        state = { first: position, last: position, seen: 0 };
        keys.set(key, state);
      }
      state.last = position;
      push({ due: state.first + state.seen * gap, order: position, item });
      state.seen++;
      position++;
      while (heap.length && (heap[0] as Entry).due < position) out.push(pop());
    }
    for (const [key, state] of keys) if (position - state.last > together) keys.delete(key);
    if (out.length) yield out;
  }
  const rest: T[] = [];
  while (heap.length) rest.push(pop());
  if (rest.length) yield rest;
}

/**
 * Exactly `count` events of the production mix (about 80 % referral events, the rest milestones
 * and gaps), generated in slices of a seeded scenario so that a million never sit in memory at
 * once, each referral's (and gap's) later events spread over the run (spreadByKey, a gap of a
 * sixth of the run, at most 50,000 events).
 */
export function* generateEvents(count: number, seed = 1, slice = 20_000): Generator<BenchEvent[]> {
  yield* spreadByKey(scenarioSlices(count, seed, slice), (event) => event.key, Math.max(1, Math.min(50_000, Math.floor(count / 6))));
}

function* scenarioSlices(count: number, seed: number, slice: number): Generator<BenchEvent[]> {
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
