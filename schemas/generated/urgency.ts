// Generated from schemas/avro/urgency.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.Urgency, in schema order. */
export const URGENCY_SYMBOLS = ['UNKNOWN', 'ROUTINE', 'PRIORITY', 'URGENT', 'EMERGENCY'] as const;

/**
 * How soon the receiving service should act: ROUTINE (within its usual time), PRIORITY (ahead of
 * routine work), URGENT (within a day), EMERGENCY (immediate safety concern).
 */
export type Urgency = (typeof URGENCY_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const URGENCY_DEFAULT: Urgency = 'UNKNOWN';
