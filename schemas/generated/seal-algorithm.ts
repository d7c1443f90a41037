// Generated from schemas/avro/seal-algorithm.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Symbols of ca.on.passerelle.v1.SealAlgorithm, in schema order. */
export const SEAL_ALGORITHM_SYMBOLS = ['UNKNOWN', 'AES_256_GCM'] as const;

/** How a sealed value was encrypted. UNKNOWN: a reader that meets a newer algorithm cannot open it. */
export type SealAlgorithm = (typeof SEAL_ALGORITHM_SYMBOLS)[number];

/** The symbol a reader substitutes for a symbol it does not know. */
export const SEAL_ALGORITHM_DEFAULT: SealAlgorithm = 'UNKNOWN';
