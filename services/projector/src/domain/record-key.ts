import { createHmac } from 'node:crypto';

/**
 * Record keys for the cell key method: every referral gets a fixed, uniform unsigned 32-bit key,
 * derived from its id with a keyed HMAC so nobody without the secret can tell which key a
 * referral has. A published count's cell key is `sum(record_key) mod RECORD_KEY_MODULUS` over the
 * referrals it counts: the same referrals always give the same key, whatever the query. The
 * keys stay in the view and are never published.
 */
export const RECORD_KEY_MODULUS = 2 ** 32;

/** A referral's record key, given its id: bound to one secret. */
export type RecordKeyer = (referralId: string) => number;

/** The first 4 bytes (big-endian) of HMAC-SHA256(secret, `referral:<id in lower case>`). */
export function recordKeyOf(secret: string, referralId: string): number {
  return createHmac('sha256', secret).update(`referral:${referralId.toLowerCase()}`).digest().readUInt32BE(0);
}

export function recordKeyerOf(secret: string): RecordKeyer {
  return (referralId) => recordKeyOf(secret, referralId);
}

/** A label no referral message can equal (those start with `referral:`). */
const FINGERPRINT_LABEL = 'passerelle:record-key-fingerprint:v1';

/**
 * Names a secret without revealing it (64 bits of an HMAC of a fixed label, hex): the view keeps
 * it, so a projector started with another secret is noticed before it writes a single key.
 */
export function recordKeyFingerprint(secret: string): string {
  return createHmac('sha256', secret).update(FINGERPRINT_LABEL).digest('hex').slice(0, 16);
}

/** How an operator changes the secret on purpose. */
export const REKEY_COMMAND = 'npm run projector -- rekey --confirm';

/** Why the secret must not change silently, said wherever it is refused or changed. */
export const REKEY_WARNING =
  'Rotating the record-key secret re-perturbs every published figure: anyone who kept figures published before ' +
  'gets a second, differently perturbed set of the same counts to difference against the first.';

/** The view was keyed with another secret than the one configured: nothing is written with the new one. */
export class RecordKeySecretChangedError extends Error {
  readonly code = 'RECORD_KEY_SECRET_CHANGED';
  readonly retryable = false;

  constructor(
    readonly schema: string,
    readonly storedFingerprint: string,
    readonly configuredFingerprint: string,
  ) {
    super(
      `PASSERELLE_RECORD_KEY_SECRET is not the secret the view "${schema}" was keyed with (fingerprint ${configuredFingerprint}, the view's ${storedFingerprint}), so the projector refuses to use it. ` +
        `${REKEY_WARNING} Restore the previous secret; or, to rotate it deliberately, stop every projector of this view and run \`${REKEY_COMMAND}\` ` +
        'with the new secret: it recomputes every record key and updates the fingerprint in one transaction.',
    );
    this.name = 'RecordKeySecretChangedError';
  }
}
