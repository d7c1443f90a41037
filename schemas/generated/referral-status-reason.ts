// Generated from schemas/avro/referral-status-reason.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.ReferralStatusReason, in schema order. */
export const REFERRAL_STATUS_REASON_SYMBOLS = ['UNKNOWN', 'NOT_APPLICABLE', 'CAPACITY_FULL', 'NOT_ELIGIBLE', 'SERVICE_NOT_OFFERED_IN_REGION', 'REFERRED_ELSEWHERE', 'PERSON_DECLINED_SERVICE', 'PERSON_NOT_REACHABLE', 'PERSON_RELOCATED', 'AWAITING_PERSON', 'AWAITING_PARTNER', 'SAFETY_CONCERN', 'GOALS_MET', 'CONSENT_WITHDRAWN', 'DUPLICATE_REFERRAL', 'OTHER'] as const;

/**
 * Why a referral changed status, as a code. NOT_APPLICABLE when the new status needs no reason
 * (for example RECEIVED).
 */
export type ReferralStatusReason = (typeof REFERRAL_STATUS_REASON_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const REFERRAL_STATUS_REASON_DEFAULT: ReferralStatusReason = 'UNKNOWN';
