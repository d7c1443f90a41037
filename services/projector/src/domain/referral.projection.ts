import type { Ministry, ReferralCreated, ReferralStatus, ReferralStatusChanged } from '@passerelle/schemas/generated';
import type { RecordKeyer } from './record-key.ts';
import { checkTransition } from './referral-status.machine.ts';
import { sealedSubjectOf, UNREADABLE_SUBJECT, type OpenedSubject } from './subject-opening.ts';
import {
  POPULATION_GROUPS,
  type IllegalTransitionRow,
  type PopulationColumns,
  type ReferralHistoryRow,
  type ReferralRow,
} from '@passerelle/coordination-view';

/**
 * What the fold needs of a history row, and for a sealed creation the subject the projector
 * opened for it (in memory only: never stored, never in a history row).
 */
export type ReferralFact = Pick<ReferralHistoryRow, 'event_id' | 'event_type' | 'occurred_at' | 'source_ministry' | 'payload'> & {
  readonly opened?: OpenedSubject;
};

/**
 * Body fields that identify or describe the person: removed from history rows on withdrawal.
 * `sealedSubject` too: its data key is destroyed in the same transaction, and no ciphertext of
 * the subject need outlive consent in the view.
 */
export const PERSON_LEVEL_FIELDS = ['subjectPseudonym', 'populationFlags', 'sealedSubject'] as const;

/**
 * The subject a creation gives the referral row: a legacy plaintext body's own fields; for a
 * sealed body the opened values (its plaintext fields are placeholders, never data), or nothing
 * readable when it was not opened or its key is destroyed.
 */
function subjectOf(fact: ReferralFact, body: Partial<ReferralCreated>): OpenedSubject {
  if (sealedSubjectOf(fact.payload)) return fact.opened ?? UNREADABLE_SUBJECT;
  return { subjectPseudonym: body.subjectPseudonym ?? null, populationFlags: body.populationFlags ?? null };
}

/**
 * Fold order: the referral's creation first, then (occurredAt, eventId). A referral cannot
 * change status before it exists, so a status change stamped before the creation reflects
 * clock skew between ministries' systems, not a real order. Arrival order never matters.
 */
export function compareFacts(a: ReferralFact, b: ReferralFact): number {
  const creation = Number(b.event_type === 'ReferralCreated') - Number(a.event_type === 'ReferralCreated');
  if (creation !== 0) return creation;
  return a.occurred_at - b.occurred_at || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);
}

const STATUS_COLUMN: Partial<Record<ReferralStatus, keyof ReferralRow>> = {
  RECEIVED: 'received_at',
  ACCEPTED: 'accepted_at',
  DECLINED: 'declined_at',
  IN_PROGRESS: 'in_progress_at',
  ON_HOLD: 'on_hold_at',
  COMPLETED: 'completed_at',
  WITHDRAWN: 'withdrawn_at',
};

function noPopulation(): PopulationColumns {
  return Object.fromEntries(POPULATION_GROUPS.map((group) => [group.column, null])) as PopulationColumns;
}

function populationOf(flags: unknown): PopulationColumns {
  const source = (flags ?? {}) as Record<string, boolean | null | undefined>;
  return Object.fromEntries(POPULATION_GROUPS.map((group) => [group.column, source[group.field] ?? null])) as PopulationColumns;
}

export interface ReferralStep {
  readonly state: ReferralRow | undefined;
  readonly illegal?: IllegalTransitionRow;
}

function illegal(
  state: ReferralRow | undefined,
  fact: ReferralFact,
  to: ReferralStatus | null,
  code: IllegalTransitionRow['reason_code'],
  reason: string,
): IllegalTransitionRow {
  return {
    event_id: fact.event_id,
    referral_id: String(fact.payload['referralId']),
    event_type: fact.event_type,
    from_status: state?.status ?? null,
    to_status: to,
    reason_code: code,
    reason,
    occurred_at: fact.occurred_at,
    source_ministry: fact.source_ministry,
  };
}

/**
 * The parties to a referral: its referring ministry and, when it names one, its receiving
 * ministry. Only they may change its status or withdraw consent on it.
 */
export function partiesTo(referring: Ministry, receiving: Ministry | null | undefined): readonly Ministry[] {
  return receiving && receiving !== referring ? [referring, receiving] : [referring];
}

/** The refusal of a write from a ministry that is not a party to the referral (`state` exists). */
function notAParty(state: ReferralRow, fact: ReferralFact, to: ReferralStatus | null): ReferralStep | undefined {
  if (partiesTo(state.referring_ministry, state.receiving_ministry).includes(fact.source_ministry)) return undefined;
  const reason = `${fact.source_ministry} is neither the referring (${state.referring_ministry}) nor the receiving ministry (${state.receiving_ministry ?? 'none named'}) of the referral`;
  return {
    state: { ...state, illegal_transitions: state.illegal_transitions + 1 },
    illegal: illegal(state, fact, to, 'not_a_party', reason),
  };
}

function touched(state: ReferralRow, fact: ReferralFact): ReferralRow {
  return { ...state, applied_events: state.applied_events + 1, last_event_id: fact.event_id, last_event_at: fact.occurred_at };
}

/**
 * One step of the referral read model. `undefined` before the creation: an event that has no
 * referral yet leaves it undefined and is not illegal (it waits in the history). The creation
 * takes the referral's record key from `keyOf`; every later step keeps it. A status change or
 * withdrawal from a ministry that is not a party to the referral is never applied: it is
 * flagged `not_a_party`, judged against the creation the fold kept, so whatever the arrival order.
 */
export function evolveReferral(state: ReferralRow | undefined, fact: ReferralFact, keyOf: RecordKeyer): ReferralStep {
  switch (fact.event_type) {
    case 'ReferralCreated': {
      if (state) {
        const reason = `the referral was already created by event ${state.created_event_id}`;
        return {
          state: { ...state, illegal_transitions: state.illegal_transitions + 1 },
          illegal: illegal(state, fact, null, 'duplicate_creation', reason),
        };
      }
      const body = fact.payload as Partial<ReferralCreated>;
      const subject = subjectOf(fact, body);
      return {
        state: {
          referral_id: body.referralId as string,
          record_key: keyOf(body.referralId as string),
          status: 'REQUESTED',
          status_reason: null,
          status_changed_at: fact.occurred_at,
          referring_ministry: body.referringMinistry as ReferralCreated['referringMinistry'],
          receiving_ministry: body.receivingMinistry ?? null,
          receiving_service_type: body.receivingServiceType as ReferralCreated['receivingServiceType'],
          service_category: body.serviceCategory as ReferralCreated['serviceCategory'],
          region: body.region as ReferralCreated['region'],
          urgency: body.urgency as ReferralCreated['urgency'],
          consent_scope: body.consentScope as ReferralCreated['consentScope'],
          // A sealed subject stays sealed at rest: the view API opens the pseudonym per answer, so no
          // plaintext pseudonym of it reaches the view's files, dead tuples or WAL. Only the flags,
          // which counts need, are kept opened.
          subject_pseudonym: sealedSubjectOf(fact.payload) ? null : subject.subjectPseudonym,
          subject_sealed: subject.subjectPseudonym === null ? null : sealedSubjectOf(fact.payload),
          ...populationOf(subject.populationFlags),
          created_event_id: fact.event_id,
          created_by: fact.source_ministry,
          requested_at: fact.occurred_at,
          received_at: null,
          accepted_at: null,
          declined_at: null,
          in_progress_at: null,
          on_hold_at: null,
          completed_at: null,
          withdrawn_at: null,
          consent_withdrawn_at: null,
          applied_events: 1,
          illegal_transitions: 0,
          last_event_id: fact.event_id,
          last_event_at: fact.occurred_at,
        },
      };
    }
    case 'ReferralStatusChanged': {
      if (!state) return { state };
      const body = fact.payload as Partial<ReferralStatusChanged>;
      const to = body.status as ReferralStatus;
      const refused = notAParty(state, fact, to);
      if (refused) return refused;
      const verdict = checkTransition(state.status, to);
      if (!verdict.allowed)
        return {
          state: { ...state, illegal_transitions: state.illegal_transitions + 1 },
          illegal: illegal(state, fact, to, verdict.code, verdict.reason),
        };
      const column = STATUS_COLUMN[to];
      return {
        state: {
          ...touched(state, fact),
          status: to,
          status_reason: body.reasonCode ?? null,
          status_changed_at: fact.occurred_at,
          ...(column ? { [column]: fact.occurred_at } : {}),
        },
      };
    }
    case 'ConsentWithdrawn': {
      if (!state) return { state };
      const refused = notAParty(state, fact, null);
      if (refused) return refused;
      return {
        state: {
          ...touched(state, fact),
          subject_pseudonym: null,
          subject_sealed: null,
          ...noPopulation(),
          consent_withdrawn_at: state.consent_withdrawn_at ?? fact.occurred_at,
        },
      };
    }
  }
}

/** The referral row and its illegal transitions, from every applied event about it. */
export function foldReferral(
  facts: readonly ReferralFact[],
  keyOf: RecordKeyer,
): { row: ReferralRow | undefined; illegal: IllegalTransitionRow[] } {
  let state: ReferralRow | undefined;
  const flagged: IllegalTransitionRow[] = [];
  for (const fact of [...facts].sort(compareFacts)) {
    const step = evolveReferral(state, fact, keyOf);
    state = step.state;
    if (step.illegal) flagged.push(step.illegal);
  }
  return { row: state, illegal: flagged };
}

/**
 * The consent withdrawals that erase the referral's person-level data: those sent by a party
 * named by any of its creations. Erasure cannot be undone, so it is decided by a rule that only
 * ever grows with the history, never shrinks: whatever order the events arrive in, the same
 * events end up erased. With one creation (every referral but a contested one) these are
 * exactly the withdrawals the fold applies; a withdrawal that arrives before its creation
 * erases nothing until the creation shows who the parties are (there is nothing to erase before).
 */
export function erasingWithdrawals<T extends ReferralFact>(facts: readonly T[]): T[] {
  const parties = new Set<Ministry>();
  for (const fact of facts) {
    if (fact.event_type !== 'ReferralCreated') continue;
    const body = fact.payload as Partial<ReferralCreated>;
    for (const party of partiesTo(body.referringMinistry as Ministry, body.receivingMinistry)) parties.add(party);
  }
  return facts.filter((fact) => fact.event_type === 'ConsentWithdrawn' && parties.has(fact.source_ministry));
}

/** A history body without the person-level fields. */
export function stripPersonLevel(payload: Record<string, unknown>): Record<string, unknown> {
  const stripped = { ...payload };
  for (const field of PERSON_LEVEL_FIELDS) delete stripped[field];
  return stripped;
}

/** The columns a purge empties, as recorded in consent_purges (names only, never values). */
export const PURGED_COLUMNS: readonly string[] = [
  'referrals.subject_pseudonym',
  'referrals.subject_sealed',
  ...POPULATION_GROUPS.map((group) => `referrals.${group.column}`),
  ...PERSON_LEVEL_FIELDS.map((field) => `referral_history.payload.${field}`),
];
