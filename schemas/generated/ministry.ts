// Generated from schemas/avro/ministry.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.Ministry, in schema order. */
export const MINISTRY_SYMBOLS = ['UNKNOWN', 'JUSTICE', 'CHILD_WELFARE', 'HEALTH', 'EDUCATION', 'COORDINATION_OFFICE'] as const;

/**
 * A party to the information-sharing agreement: one of the four ministries that publish, or the
 * provincial anti-human-trafficking coordination office. UNKNOWN is what a reader sees for a party
 * added after its schema version.
 */
export type Ministry = (typeof MINISTRY_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const MINISTRY_DEFAULT: Ministry = 'UNKNOWN';
