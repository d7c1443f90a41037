import { parseTopicName, type TopicFamily, type TopicOwner } from '@passerelle/contracts';

/**
 * Owner and family of a ministry topic, read from its last three segments
 * (`<ministry>.<family>.v1`). Test runs put a namespace in front (`t1a2b3c4.justice.referrals.v1`);
 * which topics are consumed at all is decided by the configured pattern, not here.
 */
export function topicOwnership(topic: string): { owner: TopicOwner; family: TopicFamily } | undefined {
  return parseTopicName(topic.split('.').slice(-3).join('.'));
}
