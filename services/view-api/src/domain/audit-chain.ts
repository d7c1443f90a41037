import { createHmac } from 'node:crypto';

/** A person-level read, or an aggregate read that touched a small slice. */
export type AuditKind = 'person-level' | 'small-aggregate';

/** What the API decided; a denial answered as "not found" is still recorded as `denied`. */
export const AUDIT_OUTCOMES = ['allowed', 'denied', 'not_found'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Why a request was not allowed: what is known about the caller, never what it sent. */
export const AUDIT_REASONS = ['no-token', 'bad-token', 'unknown-role', 'role-lacks-access', 'not-visible', 'no-such-referral'] as const;
export type AuditReason = (typeof AUDIT_REASONS)[number];

/** One decision, as the route knows it; the store adds id, time and the chain. */
export interface AuditEntry {
  readonly kind: AuditKind;
  readonly outcome: AuditOutcome;
  readonly status: number;
  readonly reason: AuditReason | null;
  /** Null when no token could be verified (401). */
  readonly subject: string | null;
  readonly role: string | null;
  readonly ministry: string | null;
  readonly endpoint: string;
  readonly filters: Readonly<Record<string, unknown>>;
  readonly referralIds: readonly string[];
  readonly requestId: string;
}

/** Every field the hash covers, as stored: `at` is an ISO instant in milliseconds. */
export interface AuditContent extends AuditEntry {
  readonly id: number;
  readonly at: string;
}

/** A stored row; rows written before the chain began have neither hash. */
export interface StoredAuditRow extends AuditContent {
  readonly prevHash: string | null;
  readonly hash: string | null;
}

export interface AuditHead {
  readonly id: number;
  readonly hash: string;
}

/** The prev_hash of the first chained row. */
export const GENESIS_HASH = '0'.repeat(64);
const FORMAT = 'passerelle-audit-v1';

/** What a store needs to write and read the trail (implemented in data-access). */
export interface AuditTrail {
  /** Appends one row at the end of the one chain and returns the new head. */
  append(entry: AuditEntry): Promise<AuditHead>;
  head(): Promise<AuditHead | undefined>;
  /** Newest first, keyset on id. */
  page(limit: number, beforeId: number | undefined): Promise<StoredAuditRow[]>;
  /** Oldest first, the rows with an id above `afterId`. */
  rowsAfter(afterId: number, limit: number): Promise<StoredAuditRow[]>;
}

/** JSON with object keys sorted at every depth: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/** The exact bytes the HMAC covers: every content field in a fixed order, then the previous hash. */
export function canonicalAuditContent(content: AuditContent, prevHash: string): string {
  return canonicalJson([
    FORMAT,
    content.id,
    content.at,
    content.kind,
    content.outcome,
    content.status,
    content.reason,
    content.subject,
    content.role,
    content.ministry,
    content.endpoint,
    content.filters,
    content.referralIds,
    content.requestId,
    prevHash,
  ]);
}

export type AuditSeal = (content: AuditContent, prevHash: string) => string;

/** HMAC-SHA256 under the configured key: without the key nobody can recompute a chain that verifies. */
export function auditSeal(key: string): AuditSeal {
  return (content, prevHash) => createHmac('sha256', key).update(canonicalAuditContent(content, prevHash)).digest('hex');
}

/**
 * Values as PostgreSQL gives them back (uuid lower-cased, jsonb without undefined), so the hash
 * computed before the insert is the hash of what a later read finds.
 */
export function normaliseEntry(entry: AuditEntry): AuditEntry {
  return {
    ...entry,
    filters: JSON.parse(JSON.stringify(entry.filters)) as Record<string, unknown>,
    referralIds: entry.referralIds.map((id) => id.toLowerCase()),
    requestId: entry.requestId.toLowerCase(),
  };
}

const HEAD = /^(\d{1,15}):([0-9a-f]{64})$/;

/** `--head 42:ab12…`: the head an external store kept. */
export function parseAuditHead(text: string): AuditHead | undefined {
  const match = HEAD.exec(text.trim());
  return match?.[1] && match[2] ? { id: Number(match[1]), hash: match[2] } : undefined;
}

export const formatAuditHead = (head: AuditHead): string => `${head.id}:${head.hash}`;
