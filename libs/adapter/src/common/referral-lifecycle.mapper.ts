import type { ConsentWithdrawn, ReferralStatus, ReferralStatusChanged, ReferralStatusReason } from '@passerelle/schemas/generated';
import { makeEnvelope, type MappingContext } from '../canonical-event.ts';

/** The source id under which a ministry's own referral number finds its Passerelle referralId. */
export const referralSourceId = (reference: string): string => `referral|${reference}`;

/** Statuses that need no reason: a missing reason means "not applicable" for them, "unknown" for the others. */
const NO_REASON_NEEDED: ReadonlySet<ReferralStatus> = new Set(['REQUESTED', 'RECEIVED', 'ACCEPTED', 'IN_PROGRESS', 'COMPLETED']);

export function defaultReason(status: ReferralStatus, reason: ReferralStatusReason | undefined): ReferralStatusReason {
  return reason ?? (NO_REASON_NEEDED.has(status) ? 'NOT_APPLICABLE' : 'UNKNOWN');
}

export interface StatusChange {
  readonly status: Exclude<ReferralStatus, 'UNKNOWN'>;
  readonly reason?: ReferralStatusReason | undefined;
  readonly changedAt: number;
}

export function mapStatusChange(change: StatusChange, referralId: string, ctx: MappingContext): ReferralStatusChanged {
  return {
    envelope: makeEnvelope(ctx, referralId, change.changedAt),
    referralId,
    status: change.status,
    reasonCode: defaultReason(change.status, change.reason),
  };
}

export function mapConsentWithdrawal(
  withdrawnAt: number,
  referralId: string,
  ctx: MappingContext,
  causationId: string | null = null,
): ConsentWithdrawn {
  return { envelope: makeEnvelope(ctx, referralId, withdrawnAt, causationId), referralId };
}

/**
 * What identifies a lifecycle record's content whichever door it came through (JSON or a CSV
 * row): the fingerprint is taken over this, so the same change sent both ways is one change.
 */
export function statusChangeContent(target: string, change: StatusChange): unknown {
  return { kind: 'status', target, status: change.status, reason: change.reason ?? null, changedAt: change.changedAt };
}

export function consentWithdrawalContent(target: string, withdrawnAt: number): unknown {
  return { kind: 'consent-withdrawal', target, withdrawnAt };
}

export const statusSourceKey = (target: string, change: StatusChange): string => `status|${target}|${change.status}|${change.changedAt}`;
export const consentSourceKey = (target: string): string => `consent-withdrawal|${target}`;
