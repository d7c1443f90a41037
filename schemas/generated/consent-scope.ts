// Generated from schemas/avro/consent-scope.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.ConsentScope, in schema order. */
export const CONSENT_SCOPE_SYMBOLS = ['UNKNOWN', 'STANDARD', 'AGGREGATE_ONLY', 'INDIGENOUS_PARTNER_CONTROLLED'] as const;

/**
 * What the referred person agreed to share. STANDARD: person-level data visible to the receiving
 * service and the coordination office under the agreement. AGGREGATE_ONLY: only counted, never
 * shown person by person. INDIGENOUS_PARTNER_CONTROLLED: OCAP, the Indigenous partner organisation
 * decides who sees person-level data. Readers treat UNKNOWN as the most restrictive scope.
 */
export type ConsentScope = (typeof CONSENT_SCOPE_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const CONSENT_SCOPE_DEFAULT: ConsentScope = 'UNKNOWN';
