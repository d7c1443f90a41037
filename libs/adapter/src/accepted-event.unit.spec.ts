import { describe, expect, it } from 'vitest';
import { EVENT_TYPE_FACTS, EVENT_TYPES } from '@passerelle/contracts';
import { acceptedEvent } from './acceptance.ts';

describe('an accepted event as answered', () => {
  it('names its id by the event type’s key field and still carries it as the deprecated key', () => {
    for (const type of EVENT_TYPES) {
      const event = acceptedEvent('e-1', type, 'id-1');
      expect(event, type).toMatchObject({ eventId: 'e-1', eventType: type, key: 'id-1', [EVENT_TYPE_FACTS[type].keyField]: 'id-1' });
    }
  });

  it('answers a referral event with referralId, a gap event with gapId and a milestone with initiativeId', () => {
    expect(acceptedEvent('e', 'ReferralCreated', 'r')).toEqual({ eventId: 'e', eventType: 'ReferralCreated', referralId: 'r', key: 'r' });
    expect(acceptedEvent('e', 'ServiceGapResolved', 'g')).toEqual({ eventId: 'e', eventType: 'ServiceGapResolved', gapId: 'g', key: 'g' });
    expect(acceptedEvent('e', 'InitiativeMilestoneRecorded', 'S2016-P2-03')).toMatchObject({ initiativeId: 'S2016-P2-03' });
  });
});
