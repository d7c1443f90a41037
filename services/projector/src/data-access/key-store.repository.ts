import type { KeyEncryptionKey } from '@passerelle/contracts';
import { destroyDataKey, ERASURE_RECEIPTS_TABLE, KEY_STORE_SCHEMA, readDataKeys, type DataKeyDestruction, type Knex } from '@passerelle/db';
import type { SubjectKeyReader, SubjectKeyState } from '../domain/subject-opening.ts';
import type { ErasureRow } from '../domain/view-model.ts';

/** The projector has no key-encryption key (a view prepared for reading only): it cannot open or shred. */
export class KeyStoreUnavailableError extends Error {
  readonly code = 'KEY_STORE_UNAVAILABLE';
  readonly retryable = false;

  constructor(what: string) {
    super(`${what} needs the key store, and this view was opened without PASSERELLE_KEY_ENCRYPTION_KEY`);
    this.name = 'KeyStoreUnavailableError';
  }
}

/** The data keys of these referrals, unwrapped under `kek`, on `db` (a pool or the batch's transaction). */
export async function readSubjectKeys(
  db: Knex | Knex.Transaction,
  kek: KeyEncryptionKey,
  referralIds: readonly string[],
): Promise<Map<string, SubjectKeyState>> {
  const states = await readDataKeys(db, kek, referralIds);
  const mapped = states.map(([id, state]): [string, SubjectKeyState] => {
    if (state.state === 'live') return [id, { state: 'live', key: state.key, createdBy: state.createdBy }];
    // An unreadable key opens nothing: its creation is dead-lettered like one without a key (redrivable once repaired).
    return [id, state.state === 'destroyed' ? { state: 'destroyed', createdBy: state.createdBy } : { state: 'missing' }];
  });
  return new Map(mapped);
}

export const subjectKeyReader =
  (db: Knex, kek: KeyEncryptionKey): SubjectKeyReader =>
  (referralIds) =>
    readSubjectKeys(db, kek, referralIds);

/** An erasure receipt as stored (keystore.erasure_receipts): places and counts, never values. */
export interface ErasureReceipt {
  readonly withdrawal_event_id: string;
  readonly referral_id: string;
  readonly withdrawn_at: Date;
  readonly purged_at: Date;
  readonly view_schema: string;
  readonly recorded_by: 'projector' | 'rebuild';
  readonly view_referral_rows: number;
  readonly history_rows: number;
  readonly data_key: DataKeyDestruction;
}

/**
 * Crypto-shredding, inside the transaction that purges the view: destroys each erased referral's
 * data key (a tombstone for a referral that never had one) and writes one receipt per withdrawal.
 * A receipt already written (a replay, a rebuild after the live projector) is kept as it was:
 * the first erasure is the one it records. Returns the receipts written now.
 */
export async function shred(
  trx: Knex.Transaction,
  kek: KeyEncryptionKey,
  erasures: readonly ErasureRow[],
  viewSchema: string,
  recordedBy: ErasureReceipt['recorded_by'],
): Promise<number> {
  let written = 0;
  for (const erasure of erasures) {
    const outcome = await destroyDataKey(trx, erasure.referral_id, erasure.withdrawal_event_id, kek.id);
    const inserted = (await trx
      .withSchema(KEY_STORE_SCHEMA)
      .table(ERASURE_RECEIPTS_TABLE)
      .insert({
        withdrawal_event_id: erasure.withdrawal_event_id,
        referral_id: erasure.referral_id,
        withdrawn_at: new Date(erasure.withdrawn_at),
        view_schema: viewSchema,
        recorded_by: recordedBy,
        view_referral_rows: erasure.places.viewReferralRows,
        history_rows: erasure.places.historyRows,
        data_key: outcome,
      })
      .onConflict('withdrawal_event_id')
      .ignore()
      .returning('withdrawal_event_id')) as unknown[];
    written += inserted.length;
  }
  return written;
}

/** The receipts of one referral, oldest withdrawal first. */
export async function erasureReceiptsOf(db: Knex, referralId: string): Promise<ErasureReceipt[]> {
  return (await db
    .withSchema(KEY_STORE_SCHEMA)
    .table(ERASURE_RECEIPTS_TABLE)
    .where({ referral_id: referralId })
    .orderBy([{ column: 'withdrawn_at' }, { column: 'withdrawal_event_id' }])) as ErasureReceipt[];
}
