// Generated from schemas/avro/receiving-service-type.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.ReceivingServiceType, in schema order. */
export const RECEIVING_SERVICE_TYPE_SYMBOLS = ['UNKNOWN', 'MINISTRY_PROGRAM', 'COMMUNITY_AGENCY', 'INDIGENOUS_ORGANIZATION', 'CHILDRENS_AID_SOCIETY', 'POLICE_SERVICE', 'VICTIM_WITNESS_ASSISTANCE_PROGRAM', 'HEALTH_PROVIDER', 'SCHOOL_BOARD', 'OTHER'] as const;

/** The kind of organisation a referral goes to, whether or not it belongs to a ministry. */
export type ReceivingServiceType = (typeof RECEIVING_SERVICE_TYPE_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const RECEIVING_SERVICE_TYPE_DEFAULT: ReceivingServiceType = 'UNKNOWN';
