// Generated from schemas/avro/referral-status.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.ReferralStatus, in schema order. */
export const REFERRAL_STATUS_SYMBOLS = ['UNKNOWN', 'REQUESTED', 'RECEIVED', 'ACCEPTED', 'DECLINED', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED', 'WITHDRAWN'] as const;

/**
 * Where a referral stands. REQUESTED and RECEIVED precede the receiving service's decision
 * (ACCEPTED or DECLINED); IN_PROGRESS and ON_HOLD follow acceptance; COMPLETED, DECLINED and
 * WITHDRAWN are final.
 */
export type ReferralStatus = (typeof REFERRAL_STATUS_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const REFERRAL_STATUS_DEFAULT: ReferralStatus = 'UNKNOWN';
