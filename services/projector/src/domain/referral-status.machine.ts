import type { ReferralStatus } from '@passerelle/schemas/generated';
import type { IllegalTransitionCode } from '@passerelle/coordination-view';

/**
 * The referral life cycle, after FHIR Task: a referral is REQUESTED when created, the receiving
 * service acknowledges it (RECEIVED) and decides (ACCEPTED or DECLINED); accepted work goes
 * IN_PROGRESS, may pause (ON_HOLD) and ends COMPLETED. It can be WITHDRAWN until it is final.
 * A service may decide without acknowledging first, as FHIR allows requested → accepted.
 */
const NEXT: Readonly<Record<ReferralStatus, readonly ReferralStatus[]>> = {
  UNKNOWN: [],
  REQUESTED: ['RECEIVED', 'ACCEPTED', 'DECLINED', 'WITHDRAWN'],
  RECEIVED: ['ACCEPTED', 'DECLINED', 'WITHDRAWN'],
  ACCEPTED: ['IN_PROGRESS', 'ON_HOLD', 'WITHDRAWN'],
  IN_PROGRESS: ['ON_HOLD', 'COMPLETED', 'WITHDRAWN'],
  ON_HOLD: ['IN_PROGRESS', 'WITHDRAWN'],
  DECLINED: [],
  COMPLETED: [],
  WITHDRAWN: [],
};

export const FINAL_STATUSES: readonly ReferralStatus[] = ['DECLINED', 'COMPLETED', 'WITHDRAWN'];

/** The statuses a referral may move to from `from`. */
export function nextStatuses(from: ReferralStatus): readonly ReferralStatus[] {
  return NEXT[from];
}

export type TransitionVerdict =
  { readonly allowed: true } | { readonly allowed: false; readonly code: IllegalTransitionCode; readonly reason: string };

export function checkTransition(from: ReferralStatus, to: ReferralStatus): TransitionVerdict {
  if (NEXT[from].includes(to)) return { allowed: true };
  if (from === to) return { allowed: false, code: 'already_in_status', reason: `the referral is already ${from}` };
  if (FINAL_STATUSES.includes(from))
    return { allowed: false, code: 'from_final_status', reason: `${from} is final: no transition to ${to}` };
  return { allowed: false, code: 'not_allowed', reason: `${from} → ${to} is not a transition of the referral life cycle` };
}
