import type { Knex } from '@passerelle/db';
import {
  GENESIS_HASH,
  normaliseEntry,
  type AuditContent,
  type AuditEntry,
  type AuditHead,
  type AuditKind,
  type AuditOutcome,
  type AuditReason,
  type AuditSeal,
  type AuditTrail,
  type StoredAuditRow,
} from '../domain/audit-chain.ts';

/** First key of the advisory lock every writer of the chain takes (the second is the schema). */
const CHAIN_LOCK = 0x61756474; // "audt"

/** The audit table: one chain, extended by every replica through one lock. */
export class AuditRepository implements AuditTrail {
  constructor(
    private readonly db: Knex,
    private readonly schema: string,
    private readonly seal: AuditSeal,
  ) {}

  async append(entry: AuditEntry): Promise<AuditHead> {
    const normalised = normaliseEntry(entry);
    return this.db.transaction(async (trx) => {
      // Its own statement: under READ COMMITTED the next one takes its snapshot after the lock is
      // held, so it sees the head the previous holder committed.
      await trx.raw('SELECT pg_advisory_xact_lock(?, hashtext(?))', [CHAIN_LOCK, this.schema]);
      const result = (await trx.raw(
        `SELECT date_trunc('milliseconds', clock_timestamp()) AS now, head.id, head.hash
           FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT id, hash FROM ??.audit ORDER BY id DESC LIMIT 1) AS head ON true`,
        [this.schema],
      )) as { rows: Array<{ now: Date; id: number | null; hash: string | null }> };
      const last = result.rows[0];
      if (!last) throw new Error('the audit head query returned no row');
      // Ids follow each other without gaps, so a missing row shows as a gap.
      const content: AuditContent = { ...normalised, id: (last.id ?? 0) + 1, at: last.now.toISOString() };
      const prevHash = last.hash ?? GENESIS_HASH;
      const hash = this.seal(content, prevHash);
      await trx
        .withSchema(this.schema)
        .table('audit')
        .insert({
          id: content.id,
          at: last.now,
          kind: content.kind,
          outcome: content.outcome,
          status: content.status,
          reason: content.reason,
          subject: content.subject,
          role: content.role,
          ministry: content.ministry,
          endpoint: content.endpoint,
          filters: JSON.stringify(content.filters),
          referral_ids: content.referralIds,
          request_id: content.requestId,
          prev_hash: prevHash,
          hash,
        });
      return { id: content.id, hash };
    });
  }

  async head(): Promise<AuditHead | undefined> {
    const row = (await this.db
      .withSchema(this.schema)
      .table('audit')
      .whereNotNull('hash')
      .select('id', 'hash')
      .orderBy('id', 'desc')
      .first()) as { id: number; hash: string } | undefined;
    return row ? { id: Number(row.id), hash: row.hash } : undefined;
  }

  async page(limit: number, beforeId: number | undefined): Promise<StoredAuditRow[]> {
    const query = this.db.withSchema(this.schema).table('audit').select('*').orderBy('id', 'desc').limit(limit);
    if (beforeId !== undefined) void query.where('id', '<', beforeId);
    return ((await query) as Array<Record<string, unknown>>).map(toRow);
  }

  async rowsAfter(afterId: number, limit: number): Promise<StoredAuditRow[]> {
    const rows = (await this.db
      .withSchema(this.schema)
      .table('audit')
      .select('*')
      .where('id', '>', afterId)
      .orderBy('id', 'asc')
      .limit(limit)) as Array<Record<string, unknown>>;
    return rows.map(toRow);
  }
}

function toRow(row: Record<string, unknown>): StoredAuditRow {
  return {
    id: Number(row['id']),
    at: (row['at'] as Date).toISOString(),
    kind: row['kind'] as AuditKind,
    outcome: row['outcome'] as AuditOutcome,
    status: Number(row['status']),
    reason: (row['reason'] as AuditReason | null) ?? null,
    subject: (row['subject'] as string | null) ?? null,
    role: (row['role'] as string | null) ?? null,
    ministry: (row['ministry'] as string | null) ?? null,
    endpoint: String(row['endpoint']),
    filters: row['filters'] as Record<string, unknown>,
    referralIds: parseUuidArray(row['referral_ids']),
    requestId: String(row['request_id']),
    prevHash: (row['prev_hash'] as string | null) ?? null,
    hash: (row['hash'] as string | null) ?? null,
  };
}

/** node-postgres returns uuid[] as a '{a,b}' literal (no parser for the uuid array type). */
function parseUuidArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  const text = String(value ?? '{}');
  return text === '{}' ? [] : text.slice(1, -1).split(',');
}
