import { EVENT_FULL_NAMES, EVENT_TYPE_NAMES, type EventPayloads, type EventTypeName } from '@passerelle/schemas/generated';

export type EventType = EventTypeName;
export { EVENT_TYPE_NAMES as EVENT_TYPES };

/** Families group the events that share a topic and a message key. */
export const TOPIC_FAMILIES = ['referrals', 'initiative-milestones', 'service-gaps'] as const;
export type TopicFamily = (typeof TOPIC_FAMILIES)[number];

/** The unit the projector locks, loads and refolds: a referral, a strategy initiative or a service gap. */
export const AGGREGATE_KINDS = ['referral', 'initiative', 'gap'] as const;
export type AggregateKind = (typeof AGGREGATE_KINDS)[number];

/**
 * Who may publish an event type. Every ministry writes only to its own topics (the broker's
 * ACLs, infra/topics/acls.json) and the projector dead-letters an event whose source is not the
 * owner of its topic; on top of that:
 * - `referring-ministry`: only the ministry the referral names as referring (projector event checks);
 * - `referral-party`: the referring or receiving ministry of the referral (judged in the projector's referral fold);
 * - `initiative-lead`: the lead ministry of the initiative in the strategy catalogue (projector event checks);
 * - `any-ministry`: any topic owner.
 */
export const PUBLISHER_RULES = ['referring-ministry', 'referral-party', 'initiative-lead', 'any-ministry'] as const;
export type PublisherRule = (typeof PUBLISHER_RULES)[number];

/** The payload fields of an event type that hold a string: the candidates for its message key. */
type StringFieldOf<T extends EventType> = {
  [K in keyof EventPayloads[T]]: EventPayloads[T][K] extends string ? K : never;
}[keyof EventPayloads[T]];

interface EventTypeFacts<T extends EventType> {
  readonly family: TopicFamily;
  /** The payload field used as the Kafka message key and aggregate id (a UUID or catalogue id, never a pseudonym). */
  readonly keyField: StringFieldOf<T> & ('referralId' | 'initiativeId' | 'gapId');
  readonly aggregate: AggregateKind;
  readonly publisher: PublisherRule;
}

/**
 * The facts of every event type, in one place. Typed over every generated event type, so a
 * new .avsc event does not compile until it is given its facts here; read them through the
 * functions below or switch exhaustively on them (no default that guesses).
 */
export const EVENT_TYPE_FACTS = {
  ReferralCreated: { family: 'referrals', keyField: 'referralId', aggregate: 'referral', publisher: 'referring-ministry' },
  ReferralStatusChanged: { family: 'referrals', keyField: 'referralId', aggregate: 'referral', publisher: 'referral-party' },
  ConsentWithdrawn: { family: 'referrals', keyField: 'referralId', aggregate: 'referral', publisher: 'referral-party' },
  InitiativeMilestoneRecorded: {
    family: 'initiative-milestones',
    keyField: 'initiativeId',
    aggregate: 'initiative',
    publisher: 'initiative-lead',
  },
  ServiceGapReported: { family: 'service-gaps', keyField: 'gapId', aggregate: 'gap', publisher: 'any-ministry' },
  ServiceGapResolved: { family: 'service-gaps', keyField: 'gapId', aggregate: 'gap', publisher: 'any-ministry' },
} as const satisfies { readonly [T in EventType]: EventTypeFacts<T> };

export function isEventType(name: string): name is EventType {
  return (EVENT_TYPE_NAMES as readonly string[]).includes(name);
}

export function familyOf(type: EventType): TopicFamily {
  return EVENT_TYPE_FACTS[type].family;
}

/** The aggregate an event type changes. */
export function aggregateKindOf(type: EventType): AggregateKind {
  return EVENT_TYPE_FACTS[type].aggregate;
}

/** Who may publish an event type, beyond owning the topic it travels on. */
export function publisherRuleOf(type: EventType): PublisherRule {
  return EVENT_TYPE_FACTS[type].publisher;
}

export function eventTypesOf(family: TopicFamily): EventType[] {
  return EVENT_TYPE_NAMES.filter((type) => EVENT_TYPE_FACTS[type].family === family);
}

/** Fully-qualified Avro record name of an event type. */
export function recordNameOf(type: EventType): string {
  return EVENT_FULL_NAMES[type];
}

/** The event type whose record has this fully-qualified name, if any. */
export function eventTypeOfRecord(recordName: string): EventType | undefined {
  return EVENT_TYPE_NAMES.find((type) => EVENT_FULL_NAMES[type] === recordName);
}

/** The Kafka message key of an event, which is also its aggregate's id: its referral, initiative or gap id. */
export function messageKeyOf<T extends EventType>(type: T, payload: EventPayloads[T]): string {
  const field = EVENT_TYPE_FACTS[type].keyField;
  return (payload as unknown as Record<string, string>)[field] as string;
}
