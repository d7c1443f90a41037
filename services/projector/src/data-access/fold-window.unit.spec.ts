import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '@passerelle/schemas';
import { VIEW_TABLE, VIEW_TABLES, type ViewSnapshot } from '@passerelle/coordination-view';
import { milestone, minute, referral, serviceGap } from '../testing/event-builders.ts';
import { testRecordKeys } from '../testing/record-keys.ts';
import { applyEvents } from '../domain/apply-events.ts';
import { aggregateOf } from '../domain/batch-plan.ts';
import { initiativeRowsOf } from '../domain/initiative.projection.ts';
import type { AcceptedEvent } from '../domain/view-model.ts';
import { comparable } from '../domain/view-model.ts';
import { FoldWindow } from './fold-window.ts';
import type { StagedEntry } from './rebuild-stage.ts';
import { ViewState } from './view-state.ts';

const catalogue = initiativeRowsOf(loadCatalogue());
const NOW = minute(10_000);

/** Referrals of four events each (one of them arriving late), some withdrawn, and gaps of two, as the stage hands them back: sorted by aggregate. */
function stream(referrals: number): StagedEntry[] {
  const events: AcceptedEvent[] = [];
  for (let i = 0; i < referrals; i++) {
    const subject = referral();
    events.push(subject.status('ACCEPTED', minute(2)), subject.created(minute(0)), subject.status('IN_PROGRESS', minute(3)));
    events.push(subject.status('COMPLETED', minute(4)));
    if (i % 7 === 0) events.push(subject.withdrawn(minute(6)));
    if (i % 10 === 0) {
      const gap = serviceGap();
      events.push(gap.resolved(minute(5)), gap.reported(minute(1)));
    }
  }
  return sortedEntries(events);
}

function sortedEntries(events: readonly AcceptedEvent[]): StagedEntry[] {
  const keyed = events.map((event, seq) => ({ aggregate: `${aggregateOf(event).kind}:${aggregateOf(event).id}`, event, seq }));
  keyed.sort((a, b) => (a.aggregate < b.aggregate ? -1 : a.aggregate > b.aggregate ? 1 : a.seq - b.seq));
  return keyed.map(({ aggregate, event }) => ({ aggregate, event }));
}

/** Folds the entries in windows; returns what was written (every window's rows, catalogue last) and what the state held at most. */
async function foldInWindows(entries: readonly StagedEntry[], maxEntries: number) {
  const state = new ViewState(catalogue, testRecordKeys);
  const written: Partial<Record<string, object[]>> = {};
  let peakHeldRows = 0;
  let windows = 0;
  const window = new FoldWindow(state, {
    maxEntries,
    chunkSize: 7,
    now: NOW,
    write: async (folded) => {
      windows++;
      const snapshot = folded.snapshot();
      for (const table of VIEW_TABLES)
        if (table !== VIEW_TABLE.initiatives) written[table] = [...(written[table] ?? []), ...snapshot[table]];
    },
  });
  for (const entry of entries) {
    await window.add(entry);
    peakHeldRows = Math.max(peakHeldRows, state.heldRows);
  }
  await window.end();
  written[VIEW_TABLE.initiatives] = state.snapshot().initiatives;
  return {
    written: written as unknown as ViewSnapshot,
    peakHeldRows,
    largestWindow: window.largestWindow,
    windows,
    entries: window.entries,
  };
}

async function foldAtOnce(entries: readonly StagedEntry[]): Promise<ViewSnapshot> {
  const state = new ViewState(catalogue, testRecordKeys);
  await applyEvents(state, entries.flatMap((entry) => entry.event ?? []).reverse(), [], NOW);
  return state.snapshot();
}

describe('the rebuild fold window', () => {
  it('holds at most its size plus one aggregate, whatever the number of events', async () => {
    const small = await foldInWindows(stream(50), 40);
    const entries = stream(1_000);
    const large = await foldInWindows(entries, 40);

    expect(large.entries).toBe(entries.length);
    expect(large.windows).toBeGreaterThan(90);
    // A window closes at the first aggregate boundary past 40 entries: 40 + 4 at most.
    expect(small.largestWindow).toBeLessThanOrEqual(44);
    expect(large.largestWindow).toBeLessThanOrEqual(44);
    // The rows held (events, history, referrals, gaps) are bounded by the window, not by the stream.
    expect(large.peakHeldRows).toBeLessThanOrEqual(small.peakHeldRows + 8);
    expect(large.peakHeldRows).toBeLessThan(200);
  });

  it('writes, window after window, exactly the view one fold of every event gives', async () => {
    const entries = stream(120);
    const windowed = await foldInWindows(entries, 25);

    expect(windowed.windows).toBeGreaterThan(10);
    expect(comparable(windowed.written)).toEqual(comparable(await foldAtOnce(entries)));
  });

  it('never splits a referral between windows, even one with more events than a window holds', async () => {
    const subject = referral();
    const many = [subject.created(minute(0)), subject.status('ACCEPTED', minute(1))];
    for (let i = 0; i < 12; i++) many.push(subject.status(i % 2 ? 'ACCEPTED' : 'IN_PROGRESS', minute(2 + i)));
    const entries = sortedEntries([...many, referral().created(minute(0)), referral().created(minute(0))]);

    const windowed = await foldInWindows(entries, 3);

    // Its 14 events in one window, with at most what the window held before it (under 3).
    expect(windowed.largestWindow).toBeGreaterThanOrEqual(14);
    expect(windowed.largestWindow).toBeLessThanOrEqual(16);
    expect(comparable(windowed.written)).toEqual(comparable(await foldAtOnce(entries)));
  });

  it("splits an initiative's milestones between windows: its progress lives on the catalogue row", async () => {
    const initiative = catalogue[0]?.initiative_id as string;
    const events = Array.from({ length: 60 }, (_, i) => milestone(initiative, 'JUSTICE', i % 3 ? 'STARTED' : 'AT_RISK', minute(i)));
    const entries = sortedEntries(events);

    const windowed = await foldInWindows(entries, 10);

    expect(windowed.largestWindow).toBe(10);
    expect(windowed.written.initiative_milestones).toHaveLength(60);
    expect(comparable(windowed.written)).toEqual(comparable(await foldAtOnce(entries)));
  });
});
