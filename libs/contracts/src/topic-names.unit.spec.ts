import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, eventTypeOfRecord, eventTypesOf, familyOf, messageKeyOf, recordNameOf } from './event-types.ts';
import { allMinistryTopics, DEAD_LETTER_TOPIC, parseTopicName, topicFor, topicName } from './topic-names.ts';
import { subjectOf } from './subject-naming.ts';
import { sampleEvents } from '../testing/index.ts';

describe('topic names', () => {
  it('follow <ministry>.<family>.v1 with kebab-case ministry prefixes', () => {
    expect(topicName('JUSTICE', 'referrals')).toBe('justice.referrals.v1');
    expect(topicName('CHILD_WELFARE', 'initiative-milestones')).toBe('child-welfare.initiative-milestones.v1');
    expect(topicName('COORDINATION_OFFICE', 'service-gaps')).toBe('coordination-office.service-gaps.v1');
  });

  it('put every referral event on its ministry’s referrals topic', () => {
    expect(topicFor('HEALTH', 'ConsentWithdrawn')).toBe('health.referrals.v1');
    expect(topicFor('EDUCATION', 'ServiceGapResolved')).toBe('education.service-gaps.v1');
    expect(topicFor('JUSTICE', 'InitiativeMilestoneRecorded')).toBe('justice.initiative-milestones.v1');
  });

  it('list fifteen ministry topics, five owners by three families, each parsing back to its owner and family', () => {
    const topics = allMinistryTopics();
    expect(topics).toHaveLength(15);
    for (const topic of topics) expect(parseTopicName(topic.name)).toEqual({ owner: topic.owner, family: topic.family });
  });

  it('parse nothing that is not a ministry topic', () => {
    expect(parseTopicName(DEAD_LETTER_TOPIC)).toBeUndefined();
    expect(parseTopicName('justice.referrals.v2')).toBeUndefined();
    expect(parseTopicName('labour.referrals.v1')).toBeUndefined();
    expect(parseTopicName('justice.notes.v1')).toBeUndefined();
  });
});

describe('event types', () => {
  it('map each family to its events', () => {
    expect(eventTypesOf('referrals').sort()).toEqual(['ConsentWithdrawn', 'ReferralCreated', 'ReferralStatusChanged']);
    expect(eventTypesOf('initiative-milestones')).toEqual(['InitiativeMilestoneRecorded']);
    expect(eventTypesOf('service-gaps').sort()).toEqual(['ServiceGapReported', 'ServiceGapResolved']);
    expect(EVENT_TYPES.map(familyOf)).toHaveLength(6);
  });

  it('name subjects after the fully-qualified record (RecordNameStrategy)', () => {
    expect(subjectOf(recordNameOf('ReferralCreated'))).toBe('ca.on.passerelle.v1.ReferralCreated');
    expect(subjectOf(recordNameOf('ReferralCreated'), 'test-ab12.')).toBe('test-ab12.ca.on.passerelle.v1.ReferralCreated');
    expect(eventTypeOfRecord('ca.on.passerelle.v1.ServiceGapReported')).toBe('ServiceGapReported');
    expect(eventTypeOfRecord('ca.on.passerelle.v1.Envelope')).toBeUndefined();
  });

  it('key messages by referral, initiative or gap id, never by pseudonym', () => {
    const events = sampleEvents();
    expect(messageKeyOf('ReferralCreated', events.ReferralCreated)).toBe(events.ReferralCreated.referralId);
    expect(messageKeyOf('InitiativeMilestoneRecorded', events.InitiativeMilestoneRecorded)).toBe('S2016-P2-04');
    expect(messageKeyOf('ServiceGapResolved', events.ServiceGapResolved)).toBe(events.ServiceGapResolved.gapId);
    for (const type of EVENT_TYPES) expect(messageKeyOf(type, events[type] as never)).toBe(events[type].envelope.correlationId);
  });
});
