// Generated from schemas/avro/service-gap-resolution.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.ServiceGapResolution, in schema order. */
export const SERVICE_GAP_RESOLUTION_SYMBOLS = ['UNKNOWN', 'SERVICE_ADDED', 'CAPACITY_INCREASED', 'FUNDING_PROVIDED', 'PARTNERSHIP_ESTABLISHED', 'REFERRAL_PATHWAY_CREATED', 'NO_LONGER_OBSERVED', 'DUPLICATE_REPORT', 'OTHER'] as const;

/** How a service gap was closed, as a code. */
export type ServiceGapResolution = (typeof SERVICE_GAP_RESOLUTION_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const SERVICE_GAP_RESOLUTION_DEFAULT: ServiceGapResolution = 'UNKNOWN';
