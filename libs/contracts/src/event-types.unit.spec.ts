import { describe, expect, it } from 'vitest';
import { sampleEvents } from '../testing/index.ts';
import {
  AGGREGATE_KINDS,
  aggregateKindOf,
  EVENT_TYPE_FACTS,
  EVENT_TYPES,
  familyOf,
  messageKeyOf,
  PUBLISHER_RULES,
  publisherRuleOf,
  TOPIC_FAMILIES,
} from './event-types.ts';

describe('event-type facts', () => {
  it('has facts for every generated event type and for nothing else', () => {
    expect(Object.keys(EVENT_TYPE_FACTS).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      expect(TOPIC_FAMILIES).toContain(familyOf(type));
      expect(AGGREGATE_KINDS).toContain(aggregateKindOf(type));
      expect(PUBLISHER_RULES).toContain(publisherRuleOf(type));
    }
  });

  it("keys each type's sample event by the key field of its facts, which is also its correlation id", () => {
    const events = sampleEvents();
    for (const type of EVENT_TYPES) {
      const payload = events[type] as unknown as Record<string, unknown> & { envelope: { correlationId: string } };
      const key = messageKeyOf(type, events[type] as never);

      expect(typeof key, type).toBe('string');
      expect(key, type).toBe(payload[EVENT_TYPE_FACTS[type].keyField]);
      expect(key, type).toBe(payload.envelope.correlationId);
    }
  });

  it('gives the events of one family one aggregate kind and one key field, and each aggregate kind one family', () => {
    const familiesOfKind = new Map<string, Set<string>>();
    for (const family of TOPIC_FAMILIES) {
      const facts = EVENT_TYPES.filter((type) => familyOf(type) === family).map((type) => EVENT_TYPE_FACTS[type]);

      expect(new Set(facts.map((f) => f.aggregate)).size, family).toBe(1);
      expect(new Set(facts.map((f) => f.keyField)).size, family).toBe(1);
      for (const f of facts) familiesOfKind.set(f.aggregate, (familiesOfKind.get(f.aggregate) ?? new Set()).add(family));
    }
    expect([...familiesOfKind.keys()].sort()).toEqual([...AGGREGATE_KINDS].sort());
    for (const [kind, families] of familiesOfKind) expect(families.size, kind).toBe(1);
  });
});
