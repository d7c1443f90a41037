// Generated from schemas/avro/region.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.Region, in schema order. */
export const REGION_SYMBOLS = ['UNKNOWN', 'TORONTO', 'CENTRAL', 'EAST', 'WEST', 'NORTH_EAST', 'NORTH_WEST', 'PROVINCE_WIDE'] as const;

/**
 * Where in Ontario a service is delivered or a gap is observed: the six Ontario Health regions, or
 * PROVINCE_WIDE. Coarse on purpose, so that a region never narrows a referral down to a person.
 */
export type Region = (typeof REGION_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const REGION_DEFAULT: Region = 'UNKNOWN';
