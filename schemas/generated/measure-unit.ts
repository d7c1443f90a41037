// Generated from schemas/avro/measure-unit.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.MeasureUnit, in schema order. */
export const MEASURE_UNIT_SYMBOLS = ['UNKNOWN', 'PEOPLE_TRAINED', 'SESSIONS_DELIVERED', 'ORGANIZATIONS_FUNDED', 'PEOPLE_SERVED', 'SERVICES_LAUNCHED', 'COMMUNITIES_ENGAGED', 'PROTOCOLS_ADOPTED', 'FUNDS_DISBURSED_CAD'] as const;

/** What a milestone's quantity counts. FUNDS_DISBURSED_CAD counts whole Canadian dollars. */
export type MeasureUnit = (typeof MEASURE_UNIT_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const MEASURE_UNIT_DEFAULT: MeasureUnit = 'UNKNOWN';
