import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '@passerelle/schemas';
import { milestone, minute, referral, serviceGap } from '../testing/event-builders.ts';
import { testRecordKeys } from '../testing/record-keys.ts';
import { applyEvents } from '../domain/apply-events.ts';
import { initiativeRowsOf } from '../domain/initiative.projection.ts';
import { VIEW_TABLE, VIEW_TABLES, type DeadLetterRow } from '@passerelle/coordination-view';
import { comparable } from '../domain/view-model.ts';
import { ViewState } from './view-state.ts';

const catalogue = initiativeRowsOf(loadCatalogue());

const letter = (published: boolean, at: number): DeadLetterRow => ({
  source_topic: 'justice.referrals.v1',
  source_partition: 0,
  source_offset: 7,
  reason_code: 'wrong_magic_byte',
  reason: 'message starts with byte 255',
  event_id: null,
  event_type: null,
  published,
  dead_lettered_at: at,
});

describe('the in-memory view state', () => {
  it('applies two batches about the same referral delivered at the same time as if one came after the other', async () => {
    const subject = referral();
    const created = subject.created(minute(0));
    const accepted = subject.status('ACCEPTED', minute(1));
    const together = new ViewState(catalogue, testRecordKeys);
    const inTurn = new ViewState(catalogue, testRecordKeys);

    await Promise.all([applyEvents(together, [accepted], [], 1), applyEvents(together, [created], [], 1)]);
    await applyEvents(inTurn, [accepted], [], 1);
    await applyEvents(inTurn, [created], [], 1);

    expect(together.snapshot().referrals).toMatchObject([{ referral_id: subject.referralId, status: 'ACCEPTED', applied_events: 2 }]);
    expect(together.snapshot()).toEqual(inTurn.snapshot());
  });

  it('stores nothing of a transaction that fails, so its events apply when they are delivered again', async () => {
    const state = new ViewState(catalogue, testRecordKeys);
    const events = [referral().created(minute(0)), serviceGap().reported(minute(1))];

    const failed = state.transaction(async (tx) => {
      await tx.recordProcessed(
        events.map((event) => ({
          event_id: event.eventId,
          event_type: event.type,
          source_topic: 't',
          source_partition: 0,
          source_offset: 0,
          processed_at: 1,
        })),
      );
      await tx.recordDeadLetters([letter(false, 1)]);
      throw new Error('planning failed');
    });
    await expect(failed).rejects.toThrow('planning failed');
    const again = await applyEvents(state, events, [], 2);

    expect(again.applied).toHaveLength(2);
    expect(state.table(VIEW_TABLE.processed_events).count).toBe(2);
    expect(state.table(VIEW_TABLE.dead_letters).count).toBe(0);
  });

  it("replaces a referral's illegal transitions when a late event makes its history legal", async () => {
    const state = new ViewState(catalogue, testRecordKeys);
    const subject = referral();

    await applyEvents(state, [subject.created(minute(0)), subject.status('IN_PROGRESS', minute(2))], [], 1);
    const before = [...state.table(VIEW_TABLE.illegal_transitions).rows];
    await applyEvents(state, [subject.status('ACCEPTED', minute(1))], [], 2);

    expect(before).toMatchObject([{ referral_id: subject.referralId, reason_code: 'not_allowed', to_status: 'IN_PROGRESS' }]);
    expect(state.table(VIEW_TABLE.illegal_transitions).count).toBe(0);
    expect(state.snapshot().referrals).toMatchObject([{ status: 'IN_PROGRESS', illegal_transitions: 0, applied_events: 3 }]);
  });

  it('records a dead letter once unpublished, once more when published, and answers which positions were published', async () => {
    const state = new ViewState(catalogue, testRecordKeys);
    const position = [{ topic: 'justice.referrals.v1', partition: 0, offset: 7 }];

    const byRebuild = await applyEvents(state, [], [letter(false, 1)], 1);
    const publishedBefore = await state.publishedDeadLetters(position);
    const byLive = await applyEvents(state, [], [letter(true, 2)], 2);
    const again = await applyEvents(state, [], [letter(true, 3)], 3);

    expect([byRebuild.deadLetters.length, byLive.deadLetters.length, again.deadLetters.length]).toEqual([1, 1, 0]);
    expect(publishedBefore.size).toBe(0);
    expect(await state.publishedDeadLetters(position)).toEqual(new Set(['justice.referrals.v1:0:7']));
    expect([...state.table(VIEW_TABLE.dead_letters).rows]).toMatchObject([{ published: true, dead_lettered_at: 2 }]);
  });

  it('hands out every table with its row count, processed events included, as the snapshot holds them', async () => {
    const state = new ViewState(catalogue, testRecordKeys);
    const subject = referral();
    const gap = serviceGap();
    await applyEvents(
      state,
      [
        subject.created(minute(0)),
        subject.withdrawn(minute(3)),
        gap.reported(minute(1)),
        gap.resolved(minute(2)),
        milestone('S2016-P2-04', 'JUSTICE', 'STARTED', minute(4)),
      ],
      [letter(false, 5)],
      5,
    );

    const snapshot = state.snapshot();
    for (const table of VIEW_TABLES) {
      const { count, rows } = state.table(table);
      expect([...rows], table).toHaveLength(count);
      expect(comparable({ ...snapshot, [table]: [...state.table(table).rows] }, { tables: [table] }), table).toEqual(
        comparable(snapshot, { tables: [table] }),
      );
    }
    expect(state.table(VIEW_TABLE.processed_events).count).toBe(5);
    expect(snapshot.referral_history.every((row) => !('subjectPseudonym' in row.payload))).toBe(true);
  });
});
