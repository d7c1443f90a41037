import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '@passerelle/schemas';
import { InMemoryView } from '../testing/in-memory-view.ts';
import { milestone, minute, serviceGap } from '../testing/event-builders.ts';
import { initiativeRowsOf } from './initiative.projection.ts';

const catalogue = loadCatalogue();

function view() {
  return new InMemoryView(initiativeRowsOf(catalogue));
}

describe('initiatives', () => {
  it('loads every catalogue initiative with its pillar, lead ministry and both titles', async () => {
    const snapshot = view().snapshot();

    const expected = catalogue.strategies.flatMap((s) => s.initiatives).length;
    expect(snapshot.initiatives).toHaveLength(expected);
    expect(snapshot.initiatives.find((row) => row.initiative_id === 'S2016-P2-04')).toMatchObject({
      strategy_id: 'S2016',
      pillar_id: 'S2016-P2',
      lead_ministry: 'JUSTICE',
      pillar_title_fr: 'Amélioration du secteur de la justice',
      milestones: 0,
      latest_status: null,
    });
  });

  it('shows the latest milestone by occurrence, whatever order they arrive in, and keeps them all', async () => {
    const started = milestone('S2016-P2-04', 'JUSTICE', 'STARTED', minute(10));
    const reached = milestone('S2016-P2-04', 'JUSTICE', 'REACHED', minute(50));
    const planned = milestone('S2016-P2-04', 'JUSTICE', 'PLANNED', minute(0));
    const projected = view();

    await projected.apply([reached]);
    await projected.apply([planned, started]);

    const snapshot = projected.snapshot();
    expect(snapshot.initiatives.find((row) => row.initiative_id === 'S2016-P2-04')).toMatchObject({
      latest_status: 'REACHED',
      latest_event_id: reached.eventId,
      latest_occurred_at: minute(50),
      milestones: 3,
    });
    expect(snapshot.initiative_milestones.map((row) => row.event_id).sort()).toEqual(
      [started, reached, planned].map((e) => e.eventId).sort(),
    );
  });

  it('breaks a tie on occurrence time by event id, so two projectors agree', async () => {
    const a = milestone('S2016-P2-04', 'JUSTICE', 'DELAYED', minute(10), '00000000-0000-4000-8000-000000000001');
    const b = milestone('S2016-P2-04', 'JUSTICE', 'AT_RISK', minute(10), '00000000-0000-4000-8000-000000000002');
    const one = view();
    const other = view();

    await one.apply([a]);
    await one.apply([b]);
    await other.apply([b]);
    await other.apply([a]);

    for (const projected of [one, other])
      expect(projected.snapshot().initiatives.find((row) => row.initiative_id === 'S2016-P2-04')?.latest_status).toBe('AT_RISK');
  });
});

describe('service gaps', () => {
  it('a reported gap is open, by region, category and severity', async () => {
    const gap = serviceGap();
    const projected = view();

    await projected.apply([gap.reported(minute(0))]);

    expect(projected.snapshot().service_gaps).toEqual([
      expect.objectContaining({
        gap_id: gap.gapId,
        status: 'OPEN',
        region: 'NORTH_EAST',
        service_category: 'HOUSING',
        severity: 'CRITICAL',
        affects_indigenous: true,
      }),
    ]);
  });

  it('a resolution that arrives before its report closes the gap once the report arrives', async () => {
    const gap = serviceGap();
    const resolved = gap.resolved(minute(60));
    const projected = view();

    await projected.apply([resolved]);
    const before = projected.snapshot().service_gaps;
    await projected.apply([gap.reported(minute(0))]);

    expect(before).toEqual([]);
    expect(projected.snapshot().service_gaps[0]).toMatchObject({
      status: 'RESOLVED',
      resolution: 'FUNDING_PROVIDED',
      resolved_at: minute(60),
      resolved_event_id: resolved.eventId,
      reported_at: minute(0),
    });
  });
});
