// Generated from schemas/avro/service-gap-code.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.ServiceGapCode, in schema order. */
export const SERVICE_GAP_CODE_SYMBOLS = ['UNKNOWN', 'NO_SERVICE_IN_REGION', 'WAITLIST_TOO_LONG', 'CAPACITY_EXCEEDED', 'NOT_CULTURALLY_APPROPRIATE', 'LANGUAGE_NOT_AVAILABLE', 'ELIGIBILITY_BARRIER', 'TRANSPORTATION_BARRIER', 'FUNDING_EXHAUSTED', 'AFTER_HOURS_NOT_COVERED', 'OTHER'] as const;

/** The kind of gap, as a code: what is missing or what stands in the way. */
export type ServiceGapCode = (typeof SERVICE_GAP_CODE_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const SERVICE_GAP_CODE_DEFAULT: ServiceGapCode = 'UNKNOWN';
