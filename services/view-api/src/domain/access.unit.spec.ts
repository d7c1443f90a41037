import { describe, expect, it } from 'vitest';
import { maySeeFlow, maySeeReferral, type Principal, type ReferralScope } from './access.ts';

const justice: Principal = { subject: 'u1', role: 'ministry', ministry: 'JUSTICE' };
const health: Principal = { subject: 'u2', role: 'ministry', ministry: 'HEALTH' };
const office: Principal = { subject: 'u3', role: 'coordination-office' };
const partner: Principal = { subject: 'u4', role: 'indigenous-partner' };
const operator: Principal = { subject: 'u5', role: 'operator' };
const standard: ReferralScope = { consentScope: 'STANDARD', referringMinistry: 'JUSTICE', receivingMinistry: 'CHILD_WELFARE' };
const ocap: ReferralScope = { ...standard, consentScope: 'INDIGENOUS_PARTNER_CONTROLLED' };

describe('who may see a referral person by person', () => {
  it('lets a ministry see referrals it made or received, and no other', () => {
    expect(maySeeReferral(justice, standard)).toBe(true);
    expect(maySeeReferral({ ...health, ministry: 'CHILD_WELFARE' }, standard)).toBe(true);
    expect(maySeeReferral(health, standard)).toBe(false);
  });

  it('keeps OCAP-controlled referrals for the Indigenous partner only', () => {
    expect(maySeeReferral(partner, ocap)).toBe(true);
    expect(maySeeReferral(office, ocap)).toBe(false);
    expect(maySeeReferral(justice, ocap)).toBe(false);
    expect(maySeeReferral(partner, standard)).toBe(false);
  });

  it('shows aggregate-only and unknown scopes to nobody', () => {
    for (const consentScope of ['AGGREGATE_ONLY', 'UNKNOWN'] as const) {
      for (const principal of [justice, office, partner, operator])
        expect(maySeeReferral(principal, { ...standard, consentScope })).toBe(false);
    }
  });

  it('gives operators flows but no person-level referral', () => {
    expect(maySeeReferral(operator, standard)).toBe(false);
    expect(maySeeFlow(operator, ocap)).toBe(true);
    expect(maySeeFlow(health, standard)).toBe(false);
  });
});
