import { describe, expect, it } from 'vitest';
import type { StoredRow } from '@passerelle/coordination-view';
import { pillarsOf, presentInitiative, type InitiativeFlagging } from './presenters.ts';

const DAY = 86_400_000;
const now = Date.parse('2027-06-15T12:00:00Z');

function row(id: string, latest: { status: string; daysAgo: number } | null): StoredRow<'initiatives'> {
  return {
    initiative_id: id,
    strategy_id: 'S2016',
    pillar_id: 'S2016-P1',
    pillar_title_en: 'Prevention',
    pillar_title_fr: 'Prévention',
    lead_ministry: 'CHILD_WELFARE',
    title_en: 'An initiative',
    title_fr: 'Une initiative',
    latest_status: latest?.status ?? null,
    latest_measure_unit: null,
    latest_measure_quantity: null,
    latest_occurred_at: latest ? new Date(now - latest.daysAgo * DAY) : null,
    latest_event_id: null,
    milestones: latest ? 1 : 0,
  } as StoredRow<'initiatives'>;
}

const flagging = (targets: Record<string, string> = {}): InitiativeFlagging => ({
  staleAfterDays: 90,
  now,
  targets: new Map(Object.entries(targets).map(([id, date]) => [id, { date, source: 'a strategy document' }])),
});

describe('initiative flags', () => {
  it('counts whole days since the latest milestone and flags stale only past the stale age', () => {
    expect(presentInitiative(row('S2016-P1-01', { status: 'STARTED', daysAgo: 90 }), flagging())).toMatchObject({
      daysSinceLatestMilestone: 90,
      flags: { noMilestone: false, stale: false, behindTarget: false },
    });
    expect(presentInitiative(row('S2016-P1-01', { status: 'STARTED', daysAgo: 91 }), flagging()).flags.stale).toBe(true);
  });

  it('flags an initiative without a milestone as stale and without one, never as behind without a stated date', () => {
    expect(presentInitiative(row('S2016-P1-02', null), flagging())).toMatchObject({
      daysSinceLatestMilestone: null,
      target: null,
      flags: { noMilestone: true, stale: true, behindTarget: false },
    });
  });

  it('is behind a stated target once the whole target day has passed, unless its latest milestone is REACHED', () => {
    const started = row('S2016-P1-03', { status: 'STARTED', daysAgo: 1 });
    expect(presentInitiative(started, flagging({ 'S2016-P1-03': '2027-06-15' })).flags.behindTarget).toBe(false);
    expect(presentInitiative(started, flagging({ 'S2016-P1-03': '2027-06-14' })).flags.behindTarget).toBe(true);
    const reached = row('S2016-P1-03', { status: 'REACHED', daysAgo: 1 });
    expect(presentInitiative(reached, flagging({ 'S2016-P1-03': '2027-01-01' })).flags.behindTarget).toBe(false);
    expect(presentInitiative(started, flagging({ 'S2016-P1-03': '2027-01-01' })).target).toEqual({
      date: '2027-01-01',
      source: 'a strategy document',
    });
  });

  it('counts the flags per pillar', () => {
    const items = [
      presentInitiative(row('S2016-P1-01', { status: 'STARTED', daysAgo: 10 }), flagging()),
      presentInitiative(row('S2016-P1-02', null), flagging()),
      presentInitiative(row('S2016-P1-03', { status: 'DELAYED', daysAgo: 200 }), flagging({ 'S2016-P1-03': '2027-01-01' })),
    ];
    expect(pillarsOf(items)).toEqual([expect.objectContaining({ initiatives: 3, flagged: { stale: 2, noMilestone: 1, behindTarget: 1 } })]);
  });
});
