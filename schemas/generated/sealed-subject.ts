// Generated from schemas/avro/sealed-subject.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

import type { SealAlgorithm } from './seal-algorithm.ts';

/** Fully-qualified Avro name of SealedSubject. */
export const SEALED_SUBJECT_FULL_NAME = 'ca.on.passerelle.v1.SealedSubject';

/**
 * The person-level fields of a referral (its subject pseudonym and population flags), encrypted
 * with AES-256-GCM under a data key of that referral alone, bound to the referral id. The data key
 * lives in Passerelle's key store and is destroyed when consent is withdrawn, which makes every
 * copy of this record unreadable.
 */
export interface SealedSubject {
  /** The authenticated encryption used. */
  readonly algorithm: SealAlgorithm;
  /** The 12-byte nonce, base64. */
  readonly nonce: string;
  /** The encrypted fields followed by the 16-byte authentication tag, base64. */
  readonly ciphertext: string;
}
