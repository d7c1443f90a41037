import { grantSchemaLike, type Knex } from '@passerelle/db';
import { qualified } from './rows.ts';
import { compareViewSchemas, type TableDifference } from './view-snapshot.repository.ts';
import { viewLockKey } from './view.repository.ts';
import { VIEW_TABLE } from '@passerelle/coordination-view';

/** View schemas in the database: the live one, rebuilds in progress or abandoned, retired ones. */
export async function listViewSchemas(db: Knex, live: string): Promise<{ live: boolean; rebuilding: string[]; retired: string[] }> {
  const names = (await db('information_schema.schemata')
    .where('schema_name', live)
    .orWhere('schema_name', 'like', `${live}\\_%`)
    .pluck('schema_name')) as string[];
  return {
    live: names.includes(live),
    rebuilding: names.filter((name) => name.startsWith(`${live}_rebuild_`)).sort(),
    retired: names.filter((name) => name.startsWith(`${live}_retired_`)).sort(),
  };
}

/** The session lock a running rebuild of `live` holds from start to end. */
export function rebuildLockKey(live: string): string {
  return `passerelle-rebuild:${live}`;
}

export async function dropSchema(db: Knex, schema: string): Promise<void> {
  await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
}

export interface SwitchCheck {
  /** Events the live view has applied that the rebuilt one has not: switching now would lose them. */
  readonly missing: number;
  /** Events the rebuilt view has that the live one has not reached yet. */
  readonly extra: number;
  readonly differences: TableDifference[];
}

export type SwitchDecision = (check: SwitchCheck) => 'switch' | 'retry' | 'abort';

/**
 * The switch, in one transaction: take the live view's lock exclusively (waiting for batches in
 * flight; new ones wait for the switch), check that the rebuilt view holds every event the live
 * one applied and compare them table by table, then, if `decide` says so, rename the live
 * schema to `retired` and the rebuilt one to the live name (after granting it what the roles of
 * the live one hold, docs/database-roles.md). Consumers address the view by
 * schema name, so their next batch lands in the rebuilt view; its processed_events make
 * whatever the rebuild already applied a no-op for them.
 */
export async function switchViewSchemas(
  db: Knex,
  names: { live: string; rebuilt: string; retired: string },
  decide: SwitchDecision,
): Promise<{ outcome: 'switched' | 'retry' | 'abort'; check: SwitchCheck; liveExisted: boolean }> {
  return db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [viewLockKey(names.live)]);
    await trx.raw('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [viewLockKey(names.rebuilt)]);
    const liveExists =
      ((await trx('information_schema.schemata').where('schema_name', names.live).pluck('schema_name')) as string[]).length > 0;
    let check: SwitchCheck = { missing: 0, extra: 0, differences: [] };
    if (liveExists) {
      const difference = async (a: string, b: string) =>
        (
          await trx.raw<{ rows: { n: number }[] }>(
            'SELECT count(*)::int AS n FROM ?? a WHERE NOT EXISTS (SELECT 1 FROM ?? b WHERE b.event_id = a.event_id)',
            [qualified(a, VIEW_TABLE.processed_events), qualified(b, VIEW_TABLE.processed_events)],
          )
        ).rows[0]?.n ?? 0;
      const missing = await difference(names.live, names.rebuilt);
      const extra = await difference(names.rebuilt, names.live);
      check = { missing, extra, differences: missing === 0 ? await compareViewSchemas(trx, names.live, names.rebuilt) : [] };
    }
    const decision = check.missing > 0 ? 'retry' : decide(check);
    if (decision !== 'switch') {
      // Nothing was written; ending the transaction releases the locks.
      return { outcome: decision, check, liveExisted: liveExists };
    }
    // The service roles' grants follow the schema, not its name: the rebuilt view gets the live one's first.
    await grantSchemaLike(trx, names.rebuilt, names.live);
    if (liveExists) await trx.raw('ALTER SCHEMA ?? RENAME TO ??', [names.live, names.retired]);
    await trx.raw('ALTER SCHEMA ?? RENAME TO ??', [names.rebuilt, names.live]);
    return { outcome: 'switched', check, liveExisted: liveExists };
  });
}
