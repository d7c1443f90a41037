import { EVENT_FULL_NAMES, EVENT_TYPE_NAMES, type EventPayloads, type EventTypeName } from '@passerelle/schemas/generated';

export type EventType = EventTypeName;
export { EVENT_TYPE_NAMES as EVENT_TYPES };

/** Families group the events that share a topic and a message key. */
export const TOPIC_FAMILIES = ['referrals', 'initiative-milestones', 'service-gaps'] as const;
export type TopicFamily = (typeof TOPIC_FAMILIES)[number];

interface EventTypeInfo {
  readonly family: TopicFamily;
  /** The payload field used as the Kafka message key (a UUID or catalogue id, never a pseudonym). */
  readonly keyField: 'referralId' | 'initiativeId' | 'gapId';
}

/**
 * Event type → family. Typed over every generated event type, so a new .avsc event does not
 * compile until it is given a family here.
 */
const EVENT_TYPE_INFO: Readonly<Record<EventType, EventTypeInfo>> = {
  ReferralCreated: { family: 'referrals', keyField: 'referralId' },
  ReferralStatusChanged: { family: 'referrals', keyField: 'referralId' },
  ConsentWithdrawn: { family: 'referrals', keyField: 'referralId' },
  InitiativeMilestoneRecorded: { family: 'initiative-milestones', keyField: 'initiativeId' },
  ServiceGapReported: { family: 'service-gaps', keyField: 'gapId' },
  ServiceGapResolved: { family: 'service-gaps', keyField: 'gapId' },
};

export function isEventType(name: string): name is EventType {
  return (EVENT_TYPE_NAMES as readonly string[]).includes(name);
}

export function familyOf(type: EventType): TopicFamily {
  return EVENT_TYPE_INFO[type].family;
}

export function eventTypesOf(family: TopicFamily): EventType[] {
  return EVENT_TYPE_NAMES.filter((type) => EVENT_TYPE_INFO[type].family === family);
}

/** Fully-qualified Avro record name of an event type. */
export function recordNameOf(type: EventType): string {
  return EVENT_FULL_NAMES[type];
}

/** The event type whose record has this fully-qualified name, if any. */
export function eventTypeOfRecord(recordName: string): EventType | undefined {
  return EVENT_TYPE_NAMES.find((type) => EVENT_FULL_NAMES[type] === recordName);
}

/** The Kafka message key of an event: its referral, initiative or gap id. */
export function messageKeyOf<T extends EventType>(type: T, payload: EventPayloads[T]): string {
  const field = EVENT_TYPE_INFO[type].keyField;
  return (payload as unknown as Record<string, string>)[field] as string;
}
