import { openSubject, SealError, type KeyEncryptionKey, type SealedSubject } from '@passerelle/contracts';
import { readDataKeys, type Knex } from '@passerelle/db';

/** A referral's subject as the view keeps it: sealed under the referral's data key (null for a legacy plaintext referral). */
export interface SealedRow {
  readonly referralId: string;
  readonly sealed: SealedSubject;
}

/**
 * Opens the pseudonyms of sealed referrals for a person-level answer, with the data keys of the
 * key store (read-only to the view API) unwrapped under the key-encryption key it is given by
 * configuration. A destroyed or missing key, or a value that does not open, gives null: the
 * subject can no longer be read, which is what a withdrawal means.
 */
export class SubjectOpener {
  constructor(
    private readonly db: Knex,
    private readonly kek: KeyEncryptionKey,
  ) {}

  async pseudonyms(rows: readonly SealedRow[]): Promise<Map<string, string | null>> {
    const result = new Map<string, string | null>();
    if (rows.length === 0) return result;
    const keys = new Map(
      await readDataKeys(
        this.db,
        this.kek,
        rows.map((r) => r.referralId),
      ),
    );
    for (const { referralId, sealed } of rows) {
      const key = keys.get(referralId);
      if (key?.state !== 'live') {
        result.set(referralId, null);
        continue;
      }
      try {
        result.set(referralId, openSubject(referralId, key.key, sealed).subjectPseudonym);
      } catch (error) {
        if (!(error instanceof SealError)) throw error;
        result.set(referralId, null);
      }
    }
    return result;
  }
}
