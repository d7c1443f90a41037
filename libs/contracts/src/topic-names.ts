import type { Ministry } from '@passerelle/schemas/generated';
import { familyOf, TOPIC_FAMILIES, type EventType, type TopicFamily } from './event-types.ts';

/** A ministry that owns topics: every Ministry symbol but the UNKNOWN default. */
export type TopicOwner = Exclude<Ministry, 'UNKNOWN'>;

/** Topic name prefix per owner; Kafka ACLs grant each ministry's principal its own prefix only. */
export const MINISTRY_TOPIC_PREFIXES: Readonly<Record<TopicOwner, string>> = {
  JUSTICE: 'justice',
  CHILD_WELFARE: 'child-welfare',
  HEALTH: 'health',
  EDUCATION: 'education',
  COORDINATION_OFFICE: 'coordination-office',
};

/** Where consumers put messages they cannot decode or validate, with the reason in headers. */
export const DEAD_LETTER_TOPIC = 'passerelle.dead-letter.v1';

/** The contract generation in topic names; a breaking change moves to `.v2` topics and a new namespace. */
export const TOPIC_VERSION = 'v1';

/** `<ministry>.<family>.v1`, e.g. `child-welfare.referrals.v1`. */
export function topicName(owner: TopicOwner, family: TopicFamily): string {
  return `${MINISTRY_TOPIC_PREFIXES[owner]}.${family}.${TOPIC_VERSION}`;
}

/** The topic a ministry publishes an event type to. */
export function topicFor(owner: TopicOwner, type: EventType): string {
  return topicName(owner, familyOf(type));
}

/** Every ministry-owned topic, owner by owner. */
export function allMinistryTopics(): { name: string; owner: TopicOwner; family: TopicFamily }[] {
  return (Object.keys(MINISTRY_TOPIC_PREFIXES) as TopicOwner[]).flatMap((owner) =>
    TOPIC_FAMILIES.map((family) => ({ name: topicName(owner, family), owner, family })),
  );
}

/** Owner and family of a ministry topic name, or undefined for any other name. */
export function parseTopicName(name: string): { owner: TopicOwner; family: TopicFamily } | undefined {
  const [prefix, family, version, ...rest] = name.split('.');
  if (rest.length > 0 || version !== TOPIC_VERSION) return undefined;
  const owner = (Object.keys(MINISTRY_TOPIC_PREFIXES) as TopicOwner[]).find((o) => MINISTRY_TOPIC_PREFIXES[o] === prefix);
  if (!owner || !(TOPIC_FAMILIES as readonly string[]).includes(family ?? '')) return undefined;
  return { owner, family: family as TopicFamily };
}
