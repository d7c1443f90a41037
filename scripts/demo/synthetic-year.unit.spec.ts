import { describe, expect, it } from 'vitest';
import { NEXT_STATUSES, REGIONS, catalogueInitiatives, finalStatus, generateYear, type Status } from './synthetic-year.ts';
import { creationRequests, followUps } from './synthetic-year.formats.ts';
import { expectedOf, publishedProblem } from './year-verify.ts';

const NOW = Date.UTC(2026, 11, 7);
const year = generateYear({ seed: 11, referrals: 1_500, year: 2024, now: NOW });

describe('the synthetic year', () => {
  it('is the same for the same seed, and another for another seed', () => {
    expect(generateYear({ seed: 11, referrals: 1_500, year: 2024, now: NOW })).toEqual(year);
    expect(generateYear({ seed: 12, referrals: 1_500, year: 2024, now: NOW }).referrals).not.toEqual(year.referrals);
  });

  it('keeps a referral the same whatever the size of the year, so a larger run replays a smaller one', () => {
    const small = generateYear({ seed: 11, referrals: 100, year: 2024, now: NOW });
    const byNumber = new Map(year.referrals.map((r) => [r.number, r]));
    for (const referral of small.referrals) expect(byNumber.get(referral.number)).toEqual(referral);
    expect(small.gaps).toEqual(year.gaps);
    expect(small.milestones).toEqual(year.milestones);
  });

  it('walks only legal status paths, each step later than the one before, reported by a party to the referral', () => {
    for (const referral of year.referrals) {
      let from: Status = 'REQUESTED';
      let at = referral.requestedAt;
      for (const step of referral.steps) {
        expect(NEXT_STATUSES[from], `${referral.number}: ${from} → ${step.status}`).toContain(step.status);
        expect(step.at).toBeGreaterThan(at);
        if (step.by === 'receiving') expect(referral.receiving).not.toBeNull();
        from = step.status;
        at = step.at;
      }
    }
  });

  it('requests every referral within the year, and dates every follow-up before now', () => {
    for (const referral of year.referrals) {
      expect(referral.requestedAt).toBeGreaterThanOrEqual(year.from);
      expect(referral.requestedAt).toBeLessThan(year.to);
      for (const step of referral.steps) expect(step.at).toBeLessThan(NOW);
      if (referral.consentWithdrawnAt !== null) expect(referral.consentWithdrawnAt).toBeGreaterThan(referral.requestedAt);
    }
    for (const gap of year.gaps) expect(gap.resolved?.at ?? gap.observedAt).toBeLessThan(NOW);
    for (const milestone of year.milestones) expect(milestone.recordedAt).toBeLessThan(year.to);
  });

  it('spreads over every region, every month and every referring ministry, with every status and consent scope', () => {
    const months = new Set(year.referrals.map((r) => new Date(r.requestedAt).getUTCMonth()));
    expect(months.size).toBe(12);
    expect(new Set(year.referrals.map((r) => r.region))).toEqual(new Set(REGIONS));
    expect(new Set(year.referrals.map((r) => r.referring))).toEqual(new Set(['JUSTICE', 'HEALTH', 'CHILD_WELFARE', 'EDUCATION']));
    expect(new Set(year.referrals.map(finalStatus))).toEqual(new Set(Object.keys(NEXT_STATUSES)));
    expect(new Set(year.referrals.map((r) => r.consent))).toEqual(new Set(['STANDARD', 'AGGREGATE_ONLY', 'INDIGENOUS_PARTNER_CONTROLLED']));
    expect(year.referrals.filter((r) => r.consentWithdrawnAt !== null).length).toBeGreaterThan(10);
    expect(year.referrals.some((r) => r.steps.some((s) => s.by === 'receiving'))).toBe(true);
  });

  it('opens gaps in every region, resolves some, and records milestones for most initiatives, each by its lead ministry', () => {
    expect(new Set(year.gaps.map((g) => g.region))).toEqual(new Set(REGIONS));
    expect(year.gaps.some((g) => g.resolved) && year.gaps.some((g) => !g.resolved)).toBe(true);
    const initiatives = catalogueInitiatives();
    const lead = new Map(initiatives.map((i) => [i.id, i.leadMinistry]));
    for (const milestone of year.milestones) expect(milestone.lead).toBe(lead.get(milestone.initiativeId));
    expect(new Set(year.milestones.map((m) => m.initiativeId)).size).toBeGreaterThan(initiatives.length / 2);
  });

  it('writes each referral once in its ministry’s format, with one follow-up per status change or separate consent withdrawal', () => {
    const created = creationRequests(year).flatMap((r) => r.referrals ?? []);
    expect(created.sort()).toEqual(year.referrals.map((r) => r.number).sort());
    const separateWithdrawals = year.referrals.filter((r) => r.consentWithdrawnAt !== null && r.referring !== 'HEALTH').length;
    expect(followUps(year)).toHaveLength(year.referrals.reduce((n, r) => n + r.steps.length, 0) + separateWithdrawals);
    expect(JSON.stringify(creationRequests(year))).not.toMatch(/firstName|lastName|givenName|familyName|legalFirstName/);
  });

  it('expects as many referrals by region and status as it generated', () => {
    const expected = expectedOf(year);
    expect([...expected.referrals.values()].reduce((a, b) => a + b, 0)).toBe(year.referrals.length);
  });
});

describe('a published count', () => {
  const settings = { threshold: 5, maxPerturbation: 6 };
  it('is within bounds when perturbed by at most the maximum, or suppressed when small', () => {
    expect(publishedProblem(40, 46, settings)).toBeUndefined();
    expect(publishedProblem(40, 47, settings)).toMatch(/more than ±6/);
    expect(publishedProblem(3, null, settings)).toBeUndefined();
    expect(publishedProblem(11, null, settings)).toBeUndefined();
    expect(publishedProblem(12, null, settings)).toBe('suppressed though large');
    expect(publishedProblem(4, 4, settings)).toBe('a small count published');
    expect(publishedProblem(9, undefined, settings)).toBe('not published');
  });
});
