// Generated from schemas/avro/consent-withdrawn.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

import type { Envelope } from './envelope.ts';

/** Fully-qualified Avro name of ConsentWithdrawn. */
export const CONSENT_WITHDRAWN_FULL_NAME = 'ca.on.passerelle.v1.ConsentWithdrawn';

/**
 * The person withdrew consent for a referral: consumers remove that referral's person-level data
 * and keep only de-identified counts.
 */
export interface ConsentWithdrawn {
  /** Identity, time, provenance and trace context of this event. */
  readonly envelope: Envelope;
  /** The referral whose consent was withdrawn. */
  readonly referralId: string;
}
