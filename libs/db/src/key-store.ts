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
/**
 * One erasure receipt per erasing consent withdrawal, written by the projector in the transaction
 * that purged the view and destroyed the data key: when, where and how much, never a value. Kept
 * here, beside the keys, because a rebuild drops and recreates the view's schema.
 */
export const ERASURE_RECEIPTS_TABLE = 'erasure_receipts';

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
  {
    name: '0002_erasure_receipts',
    async up(db: Knex) {
      await db.schema.withSchema(KEY_STORE_SCHEMA).createTable(ERASURE_RECEIPTS_TABLE, (t) => {
        t.uuid('withdrawal_event_id').primary();
        t.uuid('referral_id').notNullable().index();
        t.timestamp('withdrawn_at', { useTz: true }).notNullable();
        t.timestamp('purged_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
        // The view schema the purge was applied to, and who applied it (the live projector or a rebuild).
        t.text('view_schema').notNullable();
        t.text('recorded_by').notNullable();
        // Places and counts only: referral rows whose person-level columns were emptied, history
        // bodies stripped, and what became of the data key (destroyed, already-destroyed, tombstone).
        t.integer('view_referral_rows').notNullable();
        t.integer('history_rows').notNullable();
        t.text('data_key').notNullable();
      });
    },
    async down(db: Knex) {
      await db.schema.withSchema(KEY_STORE_SCHEMA).dropTableIfExists(ERASURE_RECEIPTS_TABLE);
    },
  },
  {
    // Row-level security for the adapters, whose schema-wide grant (SELECT, INSERT) would let one
    // ministry read every other ministry's wrapped keys, plant a tombstone that erases a subject
    // it is no party to, or forge a receipt. An adapter's role (`<database>_adapter_<ministry>`,
    // see database-roles.ts) sees and creates only live keys of its own ministry, and has no row
    // of the receipts; every other role (the projector, the view API, the migrator, a superuser)
    // is unaffected. The table owner (the migrator) bypasses these policies.
    name: '0003_adapter_row_security',
    async up(db: Knex) {
      const s = KEY_STORE_SCHEMA;
      await db.raw(`
        CREATE FUNCTION "${s}".caller_ministry() RETURNS text LANGUAGE sql STABLE AS $$
          SELECT CASE
            WHEN current_user LIKE '%\\_adapter\\_justice' THEN 'JUSTICE'
            WHEN current_user LIKE '%\\_adapter\\_child\\_welfare' THEN 'CHILD_WELFARE'
            WHEN current_user LIKE '%\\_adapter\\_health' THEN 'HEALTH'
            WHEN current_user LIKE '%\\_adapter\\_education' THEN 'EDUCATION'
            WHEN current_user LIKE '%\\_adapter\\_coordination\\_office' THEN 'COORDINATION_OFFICE'
          END
        $$`);
      await db.raw(`ALTER TABLE "${s}".${DATA_KEYS_TABLE} ENABLE ROW LEVEL SECURITY`);
      await db.raw(
        `CREATE POLICY own_ministry_reads ON "${s}".${DATA_KEYS_TABLE} FOR SELECT USING ("${s}".caller_ministry() IS NULL OR created_by = "${s}".caller_ministry())`,
      );
      await db.raw(
        `CREATE POLICY own_ministry_creates_live_keys ON "${s}".${DATA_KEYS_TABLE} FOR INSERT WITH CHECK ("${s}".caller_ministry() IS NULL OR (created_by = "${s}".caller_ministry() AND wrapped_key IS NOT NULL))`,
      );
      await db.raw(`CREATE POLICY others_update ON "${s}".${DATA_KEYS_TABLE} FOR UPDATE USING ("${s}".caller_ministry() IS NULL)`);
      await db.raw(`ALTER TABLE "${s}".${ERASURE_RECEIPTS_TABLE} ENABLE ROW LEVEL SECURITY`);
      await db.raw(
        `CREATE POLICY not_adapters ON "${s}".${ERASURE_RECEIPTS_TABLE} FOR ALL USING ("${s}".caller_ministry() IS NULL) WITH CHECK ("${s}".caller_ministry() IS NULL)`,
      );
    },
    async down(db: Knex) {
      const s = KEY_STORE_SCHEMA;
      await db.raw(`DROP POLICY IF EXISTS not_adapters ON "${s}".${ERASURE_RECEIPTS_TABLE}`);
      await db.raw(`ALTER TABLE "${s}".${ERASURE_RECEIPTS_TABLE} DISABLE ROW LEVEL SECURITY`);
      for (const policy of ['own_ministry_reads', 'own_ministry_creates_live_keys', 'others_update'])
        await db.raw(`DROP POLICY IF EXISTS ${policy} ON "${s}".${DATA_KEYS_TABLE}`);
      await db.raw(`ALTER TABLE "${s}".${DATA_KEYS_TABLE} DISABLE ROW LEVEL SECURITY`);
      await db.raw(`DROP FUNCTION IF EXISTS "${s}".caller_ministry()`);
    },
  },
];

/**
 * Creates the key store's schema and table (run by the migration role, like every migration).
 * Every adapter and the projector call it at start, often at the same moment: knex creates its
 * bookkeeping tables without a lock, so the calls queue on an advisory lock held by the
 * transaction they run in, and each later one finds the work done.
 */
export async function migrateKeyStore(db: Knex): Promise<string[]> {
  return db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [`passerelle:migrate:${KEY_STORE_SCHEMA}`]);
    return migrate(trx, keyStoreMigrations, 'knex_migrations', KEY_STORE_SCHEMA);
  });
}

const table = (db: Knex | Knex.Transaction) => db.withSchema(KEY_STORE_SCHEMA).table(DATA_KEYS_TABLE);

/**
 * A referral's data key. `createdBy` is who created it: the creating adapter's ministry (the first
 * to create a key for a referral id owns it), `tombstone` for a key destroyed before any was made.
 */
export type DataKeyState =
  | { readonly state: 'live'; readonly key: Buffer; readonly createdBy: string }
  | { readonly state: 'destroyed'; readonly destroyedAt: Date; readonly createdBy: string }
  | { readonly state: 'missing' }
  /** A row whose wrapped key does not unwrap under this KEK although it names it: damaged or forged. */
  | { readonly state: 'unreadable' };

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
  await table(trx)
    .insert({ referral_id: referralId, wrapped_key: kek.wrap(referralId, fresh), kek_id: kek.id, created_by: createdBy })
    .onConflict('referral_id')
    .ignore();
  const [state] = await readDataKeys(trx, kek, [referralId]);
  return state?.[1] ?? { state: 'missing' };
}

/** The state of each referral's data key, unwrapped when live. Throws KeyStoreError when a key was wrapped under another KEK. */
export async function readDataKeys(
  db: Knex | Knex.Transaction,
  kek: KeyWrapper,
  referralIds: readonly string[],
): Promise<Array<[string, DataKeyState]>> {
  if (referralIds.length === 0) return [];
  const rows = (await table(db)
    .whereIn('referral_id', [...new Set(referralIds)])
    .select('referral_id', 'wrapped_key', 'kek_id', 'destroyed_at', 'created_by')) as Array<{
    referral_id: string;
    created_by: string;
    wrapped_key: string | null;
    kek_id: string;
    destroyed_at: Date | null;
  }>;
  const byId = new Map(rows.map((row) => [row.referral_id, row]));
  return referralIds.map((id): [string, DataKeyState] => {
    const row = byId.get(id);
    if (!row) return [id, { state: 'missing' }];
    if (row.wrapped_key === null)
      return [id, { state: 'destroyed', destroyedAt: row.destroyed_at ?? new Date(0), createdBy: row.created_by }];
    if (row.kek_id !== kek.id)
      throw new KeyStoreError(`the data key of a referral is wrapped under key-encryption key ${row.kek_id}, this service has ${kek.id}`);
    // One damaged row must not stop every other referral's key from being read.
    const key = unwrapOrNull(kek, id, row.wrapped_key);
    return [id, key ? { state: 'live', key, createdBy: row.created_by } : { state: 'unreadable' }];
  });
}

function unwrapOrNull(kek: KeyWrapper, referralId: string, wrapped: string): Buffer | null {
  try {
    return kek.unwrap(referralId, wrapped);
  } catch {
    return null;
  }
}

const destroyLive = (trx: Knex.Transaction, referralId: string, byEvent: string) =>
  table(trx)
    .where({ referral_id: referralId })
    .whereNotNull('wrapped_key')
    .update({ wrapped_key: null, destroyed_at: trx.fn.now(), destroyed_by_event: byEvent });

/** What destroying a referral's data key did: destroyed a live key now, found it destroyed, or wrote a tombstone for a key never created. */
export type DataKeyDestruction = 'destroyed' | 'already-destroyed' | 'tombstone';

/**
 * Destroys a referral's data key for good (keeps a tombstone). A referral whose key was never
 * created gets a tombstone, so that no key can be created for it later.
 */
export async function destroyDataKey(
  trx: Knex.Transaction,
  referralId: string,
  byEvent: string,
  kekId: string,
): Promise<DataKeyDestruction> {
  if ((await destroyLive(trx, referralId, byEvent)) > 0) return 'destroyed';
  const inserted = (await table(trx)
    .insert({
      referral_id: referralId,
      wrapped_key: null,
      kek_id: kekId,
      created_by: 'tombstone',
      destroyed_at: trx.fn.now(),
      destroyed_by_event: byEvent,
    })
    .onConflict('referral_id')
    .ignore()
    .returning('referral_id')) as unknown[];
  if (inserted.length > 0) return 'tombstone';
  // The row appeared meanwhile (an adapter's creating transaction committed between the two
  // statements): each statement sees what is committed when it starts, so destroy it now.
  return (await destroyLive(trx, referralId, byEvent)) > 0 ? 'destroyed' : 'already-destroyed';
}
