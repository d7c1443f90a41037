import type { Knex } from '@passerelle/db';

/** A person-level read, or an aggregate read that touched a small slice. */
export type AuditKind = 'person-level' | 'small-aggregate';

export interface AuditEntry {
  readonly kind: AuditKind;
  readonly subject: string;
  readonly role: string;
  readonly ministry: string | undefined;
  readonly endpoint: string;
  readonly filters: Record<string, unknown>;
  readonly referralIds: readonly string[];
  readonly requestId: string;
}

export interface AuditRow {
  id: number;
  kind: AuditKind;
  at: string;
  subject: string;
  role: string;
  ministry: string | null;
  endpoint: string;
  filters: Record<string, unknown>;
  referralIds: string[];
  requestId: string;
}

export class AuditRepository {
  constructor(
    private readonly db: Knex,
    private readonly schema: string,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.withSchema(this.schema).table('audit').insert({
      kind: entry.kind,
      subject: entry.subject,
      role: entry.role,
      ministry: entry.ministry ?? null,
      endpoint: entry.endpoint,
      filters: JSON.stringify(entry.filters),
      referral_ids: entry.referralIds,
      request_id: entry.requestId,
    });
  }

  /** Newest first, keyset on id. */
  async page(limit: number, beforeId: number | undefined): Promise<AuditRow[]> {
    const query = this.db.withSchema(this.schema).table('audit').select('*').orderBy('id', 'desc').limit(limit);
    if (beforeId !== undefined) void query.where('id', '<', beforeId);
    const rows = (await query) as Array<Record<string, unknown>>;
    return rows.map((row) => ({
      id: Number(row['id']),
      kind: row['kind'] as AuditKind,
      at: (row['at'] as Date).toISOString(),
      subject: String(row['subject']),
      role: String(row['role']),
      ministry: (row['ministry'] as string | null) ?? null,
      endpoint: String(row['endpoint']),
      filters: row['filters'] as Record<string, unknown>,
      referralIds: parseUuidArray(row['referral_ids']),
      requestId: String(row['request_id']),
    }));
  }
}

/** node-postgres returns uuid[] as a '{a,b}' literal (no parser for the uuid array type). */
function parseUuidArray(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  const text = String(value ?? '{}');
  return text === '{}' ? [] : text.slice(1, -1).split(',');
}
