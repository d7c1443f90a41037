import {
  NO_POPULATION_FLAGS,
  SEALED_PSEUDONYM_PLACEHOLDER,
  newDataKey,
  sealSubject,
  type KeyEncryptionKey,
  type TopicOwner,
} from '@passerelle/contracts';
import { DATA_KEYS_TABLE, KEY_STORE_SCHEMA, KeyStoreError, dataKeyFor, type Knex } from '@passerelle/db';
import type { CanonicalEvent } from './canonical-event.ts';

/**
 * Refuses to start with a key-encryption key other than the one the key store's live data keys
 * are wrapped under: new keys wrapped under a second KEK would leave those referrals unreadable
 * to every service holding the first. Names the keys' ids (hash prefixes), never a key.
 */
export async function checkKeyEncryptionKey(db: Knex, kek: KeyEncryptionKey): Promise<void> {
  const other = (await db
    .withSchema(KEY_STORE_SCHEMA)
    .table(DATA_KEYS_TABLE)
    .whereNotNull('wrapped_key')
    .whereNot('kek_id', kek.id)
    .first('kek_id')) as { kek_id: string } | undefined;
  if (other) {
    throw new KeyStoreError(
      `the key store holds data keys wrapped under key-encryption key ${other.kek_id}, PASSERELLE_KEY_ENCRYPTION_KEY is key ${kek.id}: every adapter, the projector and the view API need the same key`,
    );
  }
}

/** An event ready for the outbox, or word that its referral's data key was destroyed. */
export type SealOutcome = { readonly sealed: CanonicalEvent } | { readonly withdrawn: true };

/**
 * Seals the person-level fields of a ReferralCreated (subject pseudonym, population flags) under
 * the referral's data key, created in the caller's transaction when the referral has none yet,
 * and leaves the placeholders in the fields the v1 contract still requires. Other events pass
 * unchanged. A referral whose key was destroyed (consent withdrawn) gets nothing sealed:
 * `withdrawn`, and the caller refuses the request.
 */
export async function sealReferralSubject(
  trx: Knex.Transaction,
  kek: KeyEncryptionKey,
  ministry: TopicOwner,
  event: CanonicalEvent,
): Promise<SealOutcome> {
  if (event.type !== 'ReferralCreated') return { sealed: event };
  const { payload } = event;
  const dataKey = await dataKeyFor(trx, kek, payload.referralId, ministry, newDataKey);
  if (dataKey.state === 'destroyed') return { withdrawn: true };
  // dataKeyFor inserts before it reads, in this transaction: a missing key is a bug, not a state.
  if (dataKey.state !== 'live') throw new Error('the key store returned no data key for a referral it was asked to create one for');
  const sealedSubject = sealSubject(payload.referralId, dataKey.key, {
    subjectPseudonym: payload.subjectPseudonym,
    populationFlags: payload.populationFlags,
  });
  return {
    sealed: {
      type: 'ReferralCreated',
      payload: { ...payload, subjectPseudonym: SEALED_PSEUDONYM_PLACEHOLDER, populationFlags: { ...NO_POPULATION_FLAGS }, sealedSubject },
    },
  };
}
