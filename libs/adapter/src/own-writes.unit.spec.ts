import { describe, expect, it } from 'vitest';
import { sampleEvents } from '@passerelle/contracts/testing';
import { fixedMappingContext, problemOf } from '../testing/index.ts';
import type { CanonicalEvent } from './canonical-event.ts';
import { mapConsentWithdrawal, mapStatusChange } from './common/referral-lifecycle.mapper.ts';
import { refuseWhatIsNotOurs } from './own-writes.ts';

const JUSTICE_TO_HEALTH = '3f2b8c4e-5d6a-4b7c-8d9e-0a1b2c3d4e5f';

describe('what an adapter refuses as not its own', () => {
  it('refuses a referral created in the name of another referring ministry (403), even with its own envelope', () => {
    const justice = sampleEvents('JUSTICE').ReferralCreated;
    const forged: CanonicalEvent = {
      type: 'ReferralCreated',
      payload: { ...justice, envelope: { ...justice.envelope, sourceMinistry: 'EDUCATION' } },
    };

    const problem = problemOf(() => refuseWhatIsNotOurs(forged, 'EDUCATION'));

    expect(problem.status).toBe(403);
    expect(problem.message).not.toContain(justice.subjectPseudonym);
  });

  it('refuses any event written in another ministry’s name (403)', () => {
    const health = sampleEvents('HEALTH');

    expect(problemOf(() => refuseWhatIsNotOurs({ type: 'ConsentWithdrawn', payload: health.ConsentWithdrawn }, 'EDUCATION')).status).toBe(
      403,
    );
    expect(problemOf(() => refuseWhatIsNotOurs({ type: 'ReferralCreated', payload: health.ReferralCreated }, 'JUSTICE')).status).toBe(403);
  });

  it('accepts its own referrals, and status changes and withdrawals on another ministry’s referral, which only the projector can judge', () => {
    const own = sampleEvents('JUSTICE').ReferralCreated;
    const ctx = fixedMappingContext('EDUCATION');
    const change = mapStatusChange(
      { status: 'DECLINED', reason: 'CAPACITY_FULL', changedAt: Date.UTC(2025, 2, 5) },
      JUSTICE_TO_HEALTH,
      ctx,
    );
    const withdrawal = mapConsentWithdrawal(Date.UTC(2025, 2, 6), JUSTICE_TO_HEALTH, ctx);

    expect(() => refuseWhatIsNotOurs({ type: 'ReferralCreated', payload: own }, 'JUSTICE')).not.toThrow();
    expect(() => refuseWhatIsNotOurs({ type: 'ReferralStatusChanged', payload: change }, 'EDUCATION')).not.toThrow();
    expect(() => refuseWhatIsNotOurs({ type: 'ConsentWithdrawn', payload: withdrawal }, 'EDUCATION')).not.toThrow();
  });
});
