import type { Knex } from '@passerelle/db';
import type { RecordKeyer } from '../domain/record-key.ts';
import { qualified } from './rows.ts';
import { viewLockKey } from './view.repository.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/** Referrals read and keyed per statement when a whole view is keyed. */
export const RECORD_KEY_PAGE = 5_000;

const settings = (schema: string) => qualified(schema, VIEW_TABLE.record_key_settings);
const referrals = (schema: string) => qualified(schema, VIEW_TABLE.referrals);

type Connection = Knex | Knex.Transaction;

async function rowsOf<T>(db: Connection, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  return ((await db.raw(sql, bindings as Knex.RawBinding[])) as { rows: T[] }).rows;
}

/** The fingerprint of the secret the view's record keys were computed with; undefined before the first. */
export async function readRecordKeyFingerprint(db: Connection, schema: string): Promise<string | undefined> {
  const [exists] = await rowsOf<{ table: string | null }>(db, 'SELECT to_regclass(?)::text AS table', [settings(schema)]);
  if (!exists?.table) return undefined;
  const [row] = await rowsOf<{ fingerprint: string }>(db, 'SELECT fingerprint FROM ??', [settings(schema)]);
  return row?.fingerprint;
}

/** Records `fingerprint` if the view has none yet (the first secret to come keys it); returns the one the view holds. */
export async function claimRecordKeyFingerprint(db: Knex, schema: string, fingerprint: string): Promise<string> {
  await db.raw('INSERT INTO ?? (fingerprint) VALUES (?) ON CONFLICT (singleton) DO NOTHING', [settings(schema), fingerprint]);
  return (await readRecordKeyFingerprint(db, schema)) ?? fingerprint;
}

async function keysRequired(db: Connection, schema: string): Promise<boolean> {
  const [row] = await rowsOf<{ required: boolean }>(
    db,
    "SELECT attnotnull AS required FROM pg_attribute WHERE attrelid = to_regclass(?) AND attname = 'record_key'",
    [referrals(schema)],
  );
  return row?.required ?? false;
}

/**
 * Keys one page of referrals in id order after `after` (all of them, or only those without a key),
 * in one statement; returns the page's last id, undefined past the end.
 */
async function keyPage(
  db: Connection,
  schema: string,
  keyOf: RecordKeyer,
  after: string | undefined,
  missingOnly: boolean,
): Promise<{ last: string | undefined; keyed: number }> {
  const ids = (await db(referrals(schema))
    .modify((query) => {
      if (after !== undefined) query.where('referral_id', '>', after);
      if (missingOnly) query.whereNull('record_key');
    })
    .orderBy('referral_id')
    .limit(RECORD_KEY_PAGE)
    .pluck('referral_id')) as string[];
  if (ids.length === 0) return { last: undefined, keyed: 0 };
  await db.raw(
    'UPDATE ?? AS r SET record_key = k.record_key FROM unnest(?::uuid[], ?::bigint[]) AS k(referral_id, record_key) WHERE r.referral_id = k.referral_id',
    [referrals(schema), ids, ids.map((id) => keyOf(id))],
  );
  return { last: ids.at(-1), keyed: ids.length };
}

async function keyAll(db: Connection, schema: string, keyOf: RecordKeyer, missingOnly: boolean): Promise<number> {
  let keyed = 0;
  let after: string | undefined;
  for (;;) {
    const page = await keyPage(db, schema, keyOf, after, missingOnly);
    if (page.last === undefined) return keyed;
    keyed += page.keyed;
    after = page.last;
  }
}

const lockView = (trx: Knex.Transaction, schema: string) =>
  trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [viewLockKey(schema)]);

/**
 * Gives every referral of a view from before record keys its key, then makes the column NOT
 * NULL; nothing to do once it is. The pages are written one statement at a time, outside any
 * transaction, so a large view is keyed without holding anything for long; the last pass and the
 * constraint then run in one transaction holding the view's lock exclusively, so no batch of an
 * older projector (one that writes no keys) slips in between. Returns how many referrals were keyed.
 */
export async function completeRecordKeys(db: Knex, schema: string, keyOf: RecordKeyer): Promise<number> {
  if (await keysRequired(db, schema)) return 0;
  const keyed = await keyAll(db, schema, keyOf, true);
  return db.transaction(async (trx) => {
    await lockView(trx, schema);
    const late = await keyAll(trx, schema, keyOf, true);
    await trx.raw('ALTER TABLE ?? ALTER COLUMN record_key SET NOT NULL', [referrals(schema)]);
    return keyed + late;
  });
}

/**
 * Recomputes every record key with `keyOf` and records `fingerprint` as the view's, in one
 * transaction holding the view's lock exclusively: readers see all the old keys or all the new.
 * Returns how many referrals were keyed.
 */
export async function rewriteRecordKeys(db: Knex, schema: string, keyOf: RecordKeyer, fingerprint: string): Promise<number> {
  return db.transaction(async (trx) => {
    await lockView(trx, schema);
    const keyed = await keyAll(trx, schema, keyOf, false);
    await trx.raw(
      'INSERT INTO ?? (fingerprint) VALUES (?) ON CONFLICT (singleton) DO UPDATE SET fingerprint = excluded.fingerprint, keyed_at = now()',
      [settings(schema), fingerprint],
    );
    if (!(await keysRequired(trx, schema))) await trx.raw('ALTER TABLE ?? ALTER COLUMN record_key SET NOT NULL', [referrals(schema)]);
    return keyed;
  });
}
