// Generated from schemas/avro/gap-severity.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.GapSeverity, in schema order. */
export const GAP_SEVERITY_SYMBOLS = ['UNKNOWN', 'LOW', 'MODERATE', 'HIGH', 'CRITICAL'] as const;

/**
 * How badly a service gap affects survivors: LOW (inconvenience), MODERATE (delays), HIGH
 * (survivors go without the service), CRITICAL (safety at risk).
 */
export type GapSeverity = (typeof GAP_SEVERITY_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const GAP_SEVERITY_DEFAULT: GapSeverity = 'UNKNOWN';
