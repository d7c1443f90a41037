import type { Knex } from 'knex';
import { migrate, type NamedMigration } from './database.ts';
import { KEY_STORE_SCHEMA } from './database-roles.ts';
import { DatabaseError } from './errors.ts';

export { KEY_STORE_SCHEMA };

/**
 * The key store: one data key per referral, wrapped under the key-encryption key (which never
 * enters the database), in a PostgreSQL schema of its own with its own grants. The creating
 * adapter creates a referral's key in the transaction that writes its ReferralCreated to the
 * outbox; the projector destroys it when it applies a valid consent withdrawal. A destroyed key
 * leaves a tombstone (no key material), so that the referral can never get a new key and its
 * sealed fields stay unreadable, also to a rebuild.
 */
export const DATA_KEYS_TABLE = 'referral_data_keys';

/** What the key store needs of a key-encryption key (`KeyEncryptionKey` in @passerelle/contracts). */
export interface KeyWrapper {
  readonly id: string;
  wrap(referralId: string, dataKey: Buffer): string;
  unwrap(referralId: string, wrapped: string): Buffer;
}

export class KeyStoreError extends DatabaseError {
  readonly code = 'KEY_STORE_KEK_MISMATCH';
  readonly retryable = false;

  constructor(message: string) {
    super(message);
    this.name = 'KeyStoreError';
  }
}

export const keyStoreMigrations: readonly NamedMigration[] = [
  {
    name: '0001_referral_data_keys',
    async up(db: Knex) {
      await db.schema.withSchema(KEY_STORE_SCHEMA).createTable(DATA_KEYS_TABLE, (t) => {
        t.uuid('referral_id').primary();
        // base64(nonce ‖ AES-256-GCM(KEK, data key) ‖ tag); null once destroyed.
        t.text('wrapped_key');
        t.text('kek_id').notNullable();
        t.text('created_by').notNullable();
        t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        t.timestamp('destroyed_at', { useTz: true });
        t.uuid('destroyed_by_event');
      });
      await db.raw(
        `ALTER TABLE ??.?? ADD CONSTRAINT data_key_live_or_destroyed CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))`,
        [KEY_STORE_SCHEMA, DATA_KEYS_TABLE],
      );
    },
    async down(db: Knex) {
      await db.schema.withSchema(KEY_STORE_SCHEMA).dropTableIfExists(DATA_KEYS_TABLE);
    },
  },
];

/** Creates the key store's schema and table (run by the migration role, like every migration). */
export async function migrateKeyStore(db: Knex): Promise<string[]> {
  return migrate(db, keyStoreMigrations, 'knex_migrations', KEY_STORE_SCHEMA);
}

const table = (db: Knex | Knex.Transaction) => db.withSchema(KEY_STORE_SCHEMA).table(DATA_KEYS_TABLE);

export type DataKeyState = { readonly state: 'live'; readonly key: Buffer } | { readonly state: 'destroyed'; readonly destroyedAt: Date } | { readonly state: 'missing' };

/**
 * The referral's data key, created on first call (inside the caller's transaction). A referral
 * whose key was destroyed gets none back: `destroyed`, and the caller must not seal anything new.
 */
export async function dataKeyFor(
  trx: Knex.Transaction,
  kek: KeyWrapper,
  referralId: string,
  createdBy: string,
  newKey: () => Buffer,
): Promise<DataKeyState> {
  const fresh = newKey();
  await table(trx).insert({ referral_id: referralId, wrapped_key: kek.wrap(referralId, fresh), kek_id: kek.id, created_by: createdBy }).onConflict('referral_id').ignore();
  const [state] = await readDataKeys(trx, kek, [referralId]);
  return state?.[1] ?? { state: 'missing' };
}

/** The state of each referral's data key, unwrapped when live. Throws KeyStoreError when a key was wrapped under another KEK. */
export async function readDataKeys(db: Knex | Knex.Transaction, kek: KeyWrapper, referralIds: readonly string[]): Promise<Array<[string, DataKeyState]>> {
  if (referralIds.length === 0) return [];
  const rows = (await table(db).whereIn('referral_id', [...new Set(referralIds)]).select('referral_id', 'wrapped_key', 'kek_id', 'destroyed_at')) as Array<{
    referral_id: string;
    wrapped_key: string | null;
    kek_id: string;
    destroyed_at: Date | null;
  }>;
  const byId = new Map(rows.map((row) => [row.referral_id, row]));
  return referralIds.map((id): [string, DataKeyState] => {
    const row = byId.get(id);
    if (!row) return [id, { state: 'missing' }];
    if (row.wrapped_key === null) return [id, { state: 'destroyed', destroyedAt: row.destroyed_at ?? new Date(0) }];
    if (row.kek_id !== kek.id) throw new KeyStoreError(`the data key of a referral is wrapped under key-encryption key ${row.kek_id}, this service has ${kek.id}`);
    return [id, { state: 'live', key: kek.unwrap(id, row.wrapped_key) }];
  });
}

const destroyLive = (trx: Knex.Transaction, referralId: string, byEvent: string) =>
  table(trx).where({ referral_id: referralId }).whereNotNull('wrapped_key').update({ wrapped_key: null, destroyed_at: trx.fn.now(), destroyed_by_event: byEvent });

/** What destroying a referral's data key did: destroyed a live key now, found it destroyed, or wrote a tombstone for a key never created. */
export type DataKeyDestruction = 'destroyed' | 'already-destroyed' | 'tombstone';

/**
 * Destroys a referral's data key for good (keeps a tombstone). A referral whose key was never
 * created gets a tombstone, so that no key can be created for it later.
 */
export async function destroyDataKey(trx: Knex.Transaction, referralId: string, byEvent: string, kekId: string): Promise<DataKeyDestruction> {
  if ((await destroyLive(trx, referralId, byEvent)) > 0) return 'destroyed';
  const inserted = (await table(trx)
    .insert({ referral_id: referralId, wrapped_key: null, kek_id: kekId, created_by: 'tombstone', destroyed_at: trx.fn.now(), destroyed_by_event: byEvent })
    .onConflict('referral_id')
    .ignore()
    .returning('referral_id')) as unknown[];
  if (inserted.length > 0) return 'tombstone';
  // The row appeared meanwhile (an adapter's creating transaction committed between the two
  // statements): each statement sees what is committed when it starts, so destroy it now.
  return (await destroyLive(trx, referralId, byEvent)) > 0 ? 'destroyed' : 'already-destroyed';
}
