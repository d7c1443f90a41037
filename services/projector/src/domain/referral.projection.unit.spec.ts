import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '@passerelle/schemas';
import { InMemoryView } from '../testing/in-memory-view.ts';
import { minute, referral } from '../testing/event-builders.ts';
import { TEST_RECORD_KEY_SECRET } from '../testing/record-keys.ts';
import { initiativeRowsOf } from './initiative.projection.ts';
import { recordKeyOf } from './record-key.ts';
import { checkTransition } from './referral-status.machine.ts';
import type { AcceptedEvent } from './view-model.ts';

const catalogue = initiativeRowsOf(loadCatalogue());

/** Given events already applied (one batch each), when more arrive, then the view shows… */
function given(...batches: AcceptedEvent[][]) {
  return {
    async when(...more: AcceptedEvent[][]) {
      const view = new InMemoryView(catalogue);
      for (const batch of [...batches, ...more]) await view.apply(batch);
      return view.snapshot();
    },
  };
}

describe('referral projection', () => {
  it('a created referral is REQUESTED, with its codes, pseudonym, population flags and record key', async () => {
    const r = referral();

    const view = await given().when([r.created(minute(0))]);

    expect(view.referrals).toHaveLength(1);
    expect(view.referrals[0]).toMatchObject({
      referral_id: r.referralId,
      status: 'REQUESTED',
      requested_at: minute(0),
      region: 'NORTH_WEST',
      subject_pseudonym: r.pseudonym,
      indigenous: true,
      youth_in_or_leaving_care: false,
      youth_at_risk: null,
      record_key: recordKeyOf(TEST_RECORD_KEY_SECRET, r.referralId),
    });
  });

  it('follows the life cycle and stamps each transition with the time it happened', async () => {
    const r = referral();

    const view = await given([r.created(minute(0))]).when(
      [r.status('RECEIVED', minute(5)), r.status('ACCEPTED', minute(9))],
      [r.status('IN_PROGRESS', minute(20))],
      [r.status('COMPLETED', minute(90))],
    );

    expect(view.referrals[0]).toMatchObject({
      status: 'COMPLETED',
      received_at: minute(5),
      accepted_at: minute(9),
      in_progress_at: minute(20),
      completed_at: minute(90),
      status_changed_at: minute(90),
    });
    expect(view.illegal_transitions).toEqual([]);
  });

  it('a status change that arrives before its referral waits in the history and is applied once the referral arrives', async () => {
    const r = referral();
    const early = r.status('RECEIVED', minute(5));

    const before = await given().when([early]);
    const after = await given([early]).when([r.created(minute(0))]);

    expect(before.referrals).toEqual([]);
    expect(before.referral_history.map((row) => row.event_id)).toEqual([early.eventId]);
    expect(after.referrals[0]).toMatchObject({ status: 'RECEIVED', received_at: minute(5) });
  });

  it('applies a status change stamped seconds before the creation (clock skew between ministries) after the creation', async () => {
    const r = referral();

    const view = await given().when([r.status('ACCEPTED', minute(0) - 30_000), r.created(minute(0))]);

    expect(view.referrals[0]).toMatchObject({ status: 'ACCEPTED', accepted_at: minute(0) - 30_000 });
  });

  it('does not apply an illegal transition, records it with its reason, and flags it the same way whatever the arrival order', async () => {
    const r = referral();
    const created = r.created(minute(0));
    const completed = r.status('COMPLETED', minute(10));

    const inOrder = await given([created]).when([completed]);
    const reversed = await given([completed]).when([created]);

    for (const view of [inOrder, reversed]) {
      expect(view.referrals[0]).toMatchObject({ status: 'REQUESTED', completed_at: null, illegal_transitions: 1 });
      expect(view.illegal_transitions).toEqual([
        expect.objectContaining({
          event_id: completed.eventId,
          from_status: 'REQUESTED',
          to_status: 'COMPLETED',
          reason_code: 'not_allowed',
        }),
      ]);
    }
  });

  it('clears an illegal flag when the missing intermediate event arrives later', async () => {
    const r = referral();

    const partial = await given([r.created(minute(0)), r.status('ACCEPTED', minute(1)), r.status('COMPLETED', minute(30))]).when();
    const complete = await given([r.created(minute(0)), r.status('ACCEPTED', minute(1)), r.status('COMPLETED', minute(30))]).when([
      r.status('IN_PROGRESS', minute(10)),
    ]);

    expect(partial.illegal_transitions).toHaveLength(1);
    expect(complete.illegal_transitions).toEqual([]);
    expect(complete.referrals[0]).toMatchObject({ status: 'COMPLETED', illegal_transitions: 0 });
  });

  it('records a second creation of the same referral as a duplicate and keeps the earliest', async () => {
    const r = referral();
    const first = r.created(minute(0), { region: 'EAST' });
    const second = r.created(minute(3), { region: 'WEST' });

    const view = await given([second]).when([first]);

    expect(view.referrals[0]).toMatchObject({ region: 'EAST', created_event_id: first.eventId });
    expect(view.illegal_transitions).toEqual([expect.objectContaining({ event_id: second.eventId, reason_code: 'duplicate_creation' })]);
  });

  it('a consent withdrawal removes the pseudonym and population flags everywhere, keeps the record key, and writes a purge record without values', async () => {
    const r = referral();
    const withdrawal = r.withdrawn(minute(30));

    const view = await given([r.created(minute(0)), r.status('RECEIVED', minute(5))]).when([withdrawal]);

    expect(JSON.stringify(view)).not.toContain(r.pseudonym);
    expect(view.referrals[0]).toMatchObject({
      status: 'RECEIVED',
      subject_pseudonym: null,
      indigenous: null,
      young_women: null,
      consent_withdrawn_at: minute(30),
    });
    expect(view.consent_purges).toEqual([
      expect.objectContaining({
        event_id: withdrawal.eventId,
        referral_id: r.referralId,
        withdrawn_at: minute(30),
        removed_columns: expect.arrayContaining(['referrals.subject_pseudonym']),
      }),
    ]);
    // The referral stays in every count by region, status and so on, so its cell keys stay too.
    expect(view.referrals[0]?.record_key).toBe(recordKeyOf(TEST_RECORD_KEY_SECRET, r.referralId));
  });

  it('a creation that arrives after the withdrawal never brings the pseudonym back', async () => {
    const r = referral();

    const view = await given([r.withdrawn(minute(30))], [r.status('RECEIVED', minute(5))]).when(
      [r.created(minute(0))],
      [r.created(minute(1))],
    );

    expect(JSON.stringify(view)).not.toContain(r.pseudonym);
    expect(view.referrals[0]).toMatchObject({ status: 'RECEIVED', subject_pseudonym: null, indigenous: null });
  });

  it('never applies a status change from a ministry that is not a party, and records it as not_a_party whatever the arrival order', async () => {
    const r = referral(); // justice refers to health
    const created = r.created(minute(0));
    const declined = r.status('DECLINED', minute(5), 'EDUCATION');

    const inOrder = await given([created]).when([declined]);
    const early = await given([declined]).when([created]);

    for (const view of [inOrder, early]) {
      expect(view.referrals[0]).toMatchObject({
        status: 'REQUESTED',
        declined_at: null,
        status_changed_at: minute(0),
        applied_events: 1,
        illegal_transitions: 1,
        last_event_id: created.eventId,
      });
      expect(view.illegal_transitions).toEqual([
        expect.objectContaining({
          event_id: declined.eventId,
          event_type: 'ReferralStatusChanged',
          from_status: 'REQUESTED',
          to_status: 'DECLINED',
          reason_code: 'not_a_party',
          source_ministry: 'EDUCATION',
        }),
      ]);
    }
  });

  it('never applies a consent withdrawal from a ministry that is not a party: pseudonym, flags and history stay, no purge record, whatever the arrival order', async () => {
    const r = referral();
    const created = r.created(minute(0));
    const withdrawal = r.withdrawn(minute(5), 'EDUCATION');

    const inOrder = await given([created]).when([withdrawal]);
    const early = await given([withdrawal]).when([created]);

    for (const view of [inOrder, early]) {
      expect(view.referrals[0]).toMatchObject({
        subject_pseudonym: r.pseudonym,
        indigenous: true,
        young_women: true,
        consent_withdrawn_at: null,
        illegal_transitions: 1,
      });
      expect(view.referral_history.find((row) => row.event_id === created.eventId)?.payload).toMatchObject({
        subjectPseudonym: r.pseudonym,
      });
      expect(view.consent_purges).toEqual([]);
      expect(view.illegal_transitions).toEqual([
        expect.objectContaining({
          event_id: withdrawal.eventId,
          event_type: 'ConsentWithdrawn',
          to_status: null,
          reason_code: 'not_a_party',
          source_ministry: 'EDUCATION',
        }),
      ]);
    }
  });

  it('a non-party write whose referral has not arrived waits unjudged in the history, then is refused once the creation shows the parties', async () => {
    const r = referral();
    const declined = r.status('DECLINED', minute(5), 'EDUCATION');

    const waiting = await given().when([declined]);
    const judged = await given([declined]).when([r.created(minute(0))]);

    expect(waiting.referrals).toEqual([]);
    expect(waiting.illegal_transitions).toEqual([]);
    expect(waiting.referral_history.map((row) => row.event_id)).toEqual([declined.eventId]);
    expect(judged.illegal_transitions).toEqual([expect.objectContaining({ event_id: declined.eventId, reason_code: 'not_a_party' })]);
  });

  it('lets both parties write: the receiving ministry changes the status, the referring one withdraws consent', async () => {
    const r = referral(); // justice refers to health
    const withdrawal = r.withdrawn(minute(20), 'JUSTICE');

    const view = await given([withdrawal], [r.status('RECEIVED', minute(5), 'HEALTH')]).when(
      [r.created(minute(0))],
      [r.status('ACCEPTED', minute(9), 'JUSTICE')],
    );

    expect(view.referrals[0]).toMatchObject({
      status: 'ACCEPTED',
      subject_pseudonym: null,
      consent_withdrawn_at: minute(20),
      illegal_transitions: 0,
    });
    expect(view.illegal_transitions).toEqual([]);
    expect(view.consent_purges).toEqual([
      expect.objectContaining({ event_id: withdrawal.eventId, source_ministry: 'JUSTICE', withdrawn_at: minute(20) }),
    ]);
    expect(JSON.stringify(view)).not.toContain(r.pseudonym);
  });

  it('with no receiving ministry named, only the referring ministry writes about the referral', async () => {
    const r = referral();

    const view = await given([r.created(minute(0), { receivingMinistry: null })]).when([
      r.status('RECEIVED', minute(5), 'HEALTH'),
      r.status('ACCEPTED', minute(6), 'JUSTICE'),
    ]);

    expect(view.referrals[0]).toMatchObject({ status: 'ACCEPTED', received_at: null, illegal_transitions: 1 });
    expect(view.illegal_transitions).toEqual([expect.objectContaining({ source_ministry: 'HEALTH', reason_code: 'not_a_party' })]);
  });

  it('applies a redelivered event once: the referral and its history do not grow', async () => {
    const r = referral();
    const created = r.created(minute(0));

    const view = await given([created]).when([created], [created, r.status('RECEIVED', minute(1))]);

    expect(view.referral_history).toHaveLength(2);
    expect(view.referrals).toHaveLength(1);
    expect(view.referrals[0]?.applied_events).toBe(2);
  });
});

describe('referral life cycle', () => {
  it.each([
    ['REQUESTED', 'RECEIVED'],
    ['REQUESTED', 'ACCEPTED'],
    ['RECEIVED', 'DECLINED'],
    ['ACCEPTED', 'IN_PROGRESS'],
    ['IN_PROGRESS', 'ON_HOLD'],
    ['ON_HOLD', 'IN_PROGRESS'],
    ['IN_PROGRESS', 'COMPLETED'],
    ['ON_HOLD', 'WITHDRAWN'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(checkTransition(from, to)).toEqual({ allowed: true });
  });

  it.each([
    ['REQUESTED', 'COMPLETED', 'not_allowed'],
    ['RECEIVED', 'IN_PROGRESS', 'not_allowed'],
    ['COMPLETED', 'IN_PROGRESS', 'from_final_status'],
    ['DECLINED', 'ACCEPTED', 'from_final_status'],
    ['WITHDRAWN', 'RECEIVED', 'from_final_status'],
    ['ACCEPTED', 'ACCEPTED', 'already_in_status'],
    ['IN_PROGRESS', 'REQUESTED', 'not_allowed'],
  ] as const)('refuses %s → %s (%s)', (from, to, code) => {
    expect(checkTransition(from, to)).toMatchObject({ allowed: false, code });
  });
});
