import type { Knex } from '@passerelle/db';
import { POPULATION_GROUPS, VIEW_TABLE } from '@passerelle/coordination-view';
import type { FindingTally } from '../domain/erasure-findings.ts';
import { readabilityOf } from '../domain/erasure-findings.ts';
import type { SubjectKeyState } from '../domain/subject-opening.ts';

/** The PostgreSQL places `erasure verify` reads: view schemas and the adapters' outboxes. Reads only. */

async function exists(db: Knex, schema: string, table: string): Promise<boolean> {
  const { rows } = (await db.raw('SELECT to_regclass(format(?, ?::text, ?::text)) IS NOT NULL AS present', ['%I.%I', schema, table])) as {
    rows: { present: boolean }[];
  };
  return rows[0]?.present === true;
}

const bodiesOf = (payload: unknown): Record<string, unknown>[] => {
  if (!payload || typeof payload !== 'object') return [];
  const outer = payload as Record<string, unknown>;
  // An outbox holds the canonical event ({ type, payload }); a history row holds the body itself.
  const inner = outer['payload'];
  return inner && typeof inner === 'object' ? [outer, inner as Record<string, unknown>] : [outer];
};

/**
 * One view schema: the referral's row (a pseudonym or a flag still set) and its creation's
 * history bodies (a plaintext subject, or a sealed one its live key opens).
 */
export async function scanViewSchema(
  db: Knex,
  schema: string,
  referralId: string,
  key: SubjectKeyState | undefined,
  tally: FindingTally,
): Promise<number> {
  let scanned = 0;
  if (await exists(db, schema, VIEW_TABLE.referrals)) {
    // A view schema older than the sealed column (a retired one, say) has no subject_sealed.
    const present = new Set(
      (
        (await db.raw('SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?', [
          schema,
          VIEW_TABLE.referrals,
        ])) as { rows: { column_name: string }[] }
      ).rows.map((r) => r.column_name),
    );
    const columns = ['subject_pseudonym', 'subject_sealed', ...POPULATION_GROUPS.map((group) => group.column)].filter((column) =>
      present.has(column),
    );
    const rows = (await db.withSchema(schema).table(VIEW_TABLE.referrals).where({ referral_id: referralId }).select(columns)) as Record<
      string,
      unknown
    >[];
    scanned += rows.length;
    tally.add(
      `${schema}.${VIEW_TABLE.referrals}`,
      'subject pseudonym (plaintext or sealed) or population flags in the referral row',
      rows.filter((row) => columns.some((column) => row[column] !== null)).length,
    );
  }
  if (await exists(db, schema, VIEW_TABLE.referral_history)) {
    const rows = (await db
      .withSchema(schema)
      .table(VIEW_TABLE.referral_history)
      .where({ referral_id: referralId, event_type: 'ReferralCreated' })
      .select('payload')) as { payload: Record<string, unknown> }[];
    scanned += rows.length;
    for (const row of rows) tally.addReadable(`${schema}.${VIEW_TABLE.referral_history}`, readabilityOf(referralId, row.payload, key));
  }
  return scanned;
}

/**
 * The adapters' outboxes: every schema holding an `outbox` table (the adapters' default schemas
 * and any other an adapter was configured with), each creation about the referral whose
 * payload was not emptied at publication and still gives the subject away.
 */
export async function scanOutboxes(
  db: Knex,
  referralId: string,
  key: SubjectKeyState | undefined,
  tally: FindingTally,
  onSchema?: (schema: string, rows: number) => void,
): Promise<number> {
  const { rows: found } = (await db.raw(
    `SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'outbox' ORDER BY 1`,
  )) as { rows: { schema: string }[] };
  const schemas = found.map((row) => row.schema);
  let scanned = 0;
  for (const schema of schemas) {
    const rows = (await db.withSchema(schema).table('outbox').where({ message_key: referralId }).select('payload')) as {
      payload: unknown;
    }[];
    scanned += rows.length;
    onSchema?.(schema, rows.length);
    for (const row of rows) {
      const readability = bodiesOf(row.payload)
        .map((body) => readabilityOf(referralId, body, key))
        .find((found) => found !== undefined);
      tally.addReadable(`${schema}.outbox`, readability);
    }
  }
  return scanned;
}

/** The view schemas to scan besides the live one: rebuilds and retired views of `live`, and any other `view`-like schema holding a referrals table. */
export async function otherViewSchemas(db: Knex, live: string): Promise<string[]> {
  const { rows } = (await db.raw(
    'SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = ? AND table_schema <> ? ORDER BY 1',
    [VIEW_TABLE.referral_history, live],
  )) as { rows: { schema: string }[] };
  return rows.map((row) => row.schema);
}
