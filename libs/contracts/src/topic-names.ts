import { familyOf, TOPIC_FAMILIES, type EventType, type TopicFamily } from './event-types.ts';
import { PARTIES, partyOf, type Party, type PartyId } from './parties.ts';

/** A ministry that owns topics: every party of the registry, i.e. every Ministry symbol but the UNKNOWN default. */
export type TopicOwner = PartyId;

/** Topic name prefix per owner, from the party registry; Kafka ACLs grant each ministry's principal its own prefix only. */
export const MINISTRY_TOPIC_PREFIXES: Readonly<Record<TopicOwner, string>> = Object.fromEntries(
  PARTIES.map((party) => [party.id, party.topicPrefix]),
) as Record<TopicOwner, string>;

/** Where consumers put messages they cannot decode or validate, with the reason in headers. */
export const DEAD_LETTER_TOPIC = 'passerelle.dead-letter.v1';

/** The contract generation in topic names; a breaking change moves to `.v2` topics and a new namespace. */
export const TOPIC_VERSION = 'v1';

/** `<ministry>.<family>.v1`, e.g. `child-welfare.referrals.v1`. */
export function topicName(owner: TopicOwner, family: TopicFamily): string {
  return partyTopicName(partyOf(owner), family);
}

/** The topic of one family of any registry's party. */
export function partyTopicName(party: Pick<Party, 'topicPrefix'>, family: TopicFamily): string {
  return `${party.topicPrefix}.${family}.${TOPIC_VERSION}`;
}

/** The topic a ministry publishes an event type to. */
export function topicFor(owner: TopicOwner, type: EventType): string {
  return topicName(owner, familyOf(type));
}

/** Every ministry-owned topic of a registry (default: the committed one), owner by owner. */
export function allMinistryTopics(): { name: string; owner: TopicOwner; family: TopicFamily }[];
export function allMinistryTopics<Id extends string>(parties: readonly Party<Id>[]): { name: string; owner: Id; family: TopicFamily }[];
export function allMinistryTopics(parties: readonly Party[] = PARTIES): { name: string; owner: string; family: TopicFamily }[] {
  return parties.flatMap((party) => TOPIC_FAMILIES.map((family) => ({ name: partyTopicName(party, family), owner: party.id, family })));
}

/** Owner and family of a ministry topic name, or undefined for any other name. */
export function parseTopicName(name: string): { owner: TopicOwner; family: TopicFamily } | undefined;
export function parseTopicName<Id extends string>(
  name: string,
  parties: readonly Party<Id>[],
): { owner: Id; family: TopicFamily } | undefined;
export function parseTopicName(name: string, parties: readonly Party[] = PARTIES): { owner: string; family: TopicFamily } | undefined {
  const [prefix, family, version, ...rest] = name.split('.');
  if (rest.length > 0 || version !== TOPIC_VERSION) return undefined;
  const owner = parties.find((party) => party.topicPrefix === prefix);
  if (!owner || !(TOPIC_FAMILIES as readonly string[]).includes(family ?? '')) return undefined;
  return { owner: owner.id, family: family as TopicFamily };
}
