import type { ViewSnapshot } from './rows.ts';

/**
 * Every table of the coordination view, by name: SQL in the projector, the view API, tests and
 * the bench names a table through this object, never as a free string (a scan test checks it).
 * The migrations (view.migrations.ts) create them and keep their literal names: a migration
 * that ran must not change.
 */
export const VIEW_TABLE = {
  referrals: 'referrals',
  referral_history: 'referral_history',
  illegal_transitions: 'illegal_transitions',
  consent_purges: 'consent_purges',
  initiatives: 'initiatives',
  initiative_milestones: 'initiative_milestones',
  service_gaps: 'service_gaps',
  service_gap_events: 'service_gap_events',
  processed_events: 'processed_events',
  dead_letters: 'dead_letters',
  /** One row: the fingerprint of the secret the record keys were computed with (not part of a snapshot). */
  record_key_settings: 'record_key_settings',
  /**
   * The referral statistics' counts and key sums by measure, month and dimension (aggregates.ts):
   * derived from `referrals`, so not part of a snapshot; compared between a live view and its
   * rebuild all the same (DERIVED_TABLES).
   */
  referral_aggregates: 'referral_aggregates',
} as const;

/** A column of a content table, by its row type. */
export type ColumnOf<T extends ViewTable> = keyof ViewSnapshot[T][number] & string;

/**
 * A row of a content table as the database driver returns it: the view's columns, values not yet
 * checked (timestamps come back as Date, bigints as the parser gives them). A reader that names a
 * column the view does not have fails to compile.
 */
export type StoredRow<T extends ViewTable> = { readonly [C in ColumnOf<T>]: unknown };

/** Any table of the view. */
export type ViewTableName = (typeof VIEW_TABLE)[keyof typeof VIEW_TABLE];

/** A table whose rows make up the view's content (what a snapshot, a rebuild and tests compare). */
export type ViewTable = keyof ViewSnapshot;

/** The content tables, in snapshot order. */
export const VIEW_TABLES: readonly ViewTable[] = [
  VIEW_TABLE.referrals,
  VIEW_TABLE.referral_history,
  VIEW_TABLE.illegal_transitions,
  VIEW_TABLE.consent_purges,
  VIEW_TABLE.initiatives,
  VIEW_TABLE.initiative_milestones,
  VIEW_TABLE.service_gaps,
  VIEW_TABLE.service_gap_events,
  VIEW_TABLE.processed_events,
  VIEW_TABLE.dead_letters,
];

/**
 * Tables computed from the content tables (the projector keeps them in the same transaction and
 * recounts them from scratch): compared between two views like the content tables, absent from
 * a snapshot (a model of the view need not compute them).
 */
export const DERIVED_TABLES = [VIEW_TABLE.referral_aggregates] as const;
export type DerivedTable = (typeof DERIVED_TABLES)[number];

/** Where knex records which migrations ran, inside the view's own schema (so a rebuild carries its own). */
export const MIGRATIONS_TABLE = 'projector_migrations';

/** Primary keys, which are also the sort keys: rows compare in this order whatever order they were written in. */
export const TABLE_KEYS: { readonly [T in ViewTable]: readonly ColumnOf<T>[] } = {
  referrals: ['referral_id'],
  referral_history: ['event_id'],
  illegal_transitions: ['event_id'],
  consent_purges: ['event_id'],
  initiatives: ['initiative_id'],
  initiative_milestones: ['event_id'],
  service_gaps: ['gap_id'],
  service_gap_events: ['event_id'],
  processed_events: ['event_id'],
  dead_letters: ['source_topic', 'source_partition', 'source_offset'],
};

/**
 * Columns that record when this projector did something, not what happened: they differ
 * between a live view and its rebuild, and are left out of every comparison.
 */
export const BOOKKEEPING_COLUMNS: Readonly<Partial<Record<ViewTable, readonly string[]>>> = {
  referral_history: ['consumed_at'],
  initiative_milestones: ['consumed_at'],
  service_gap_events: ['consumed_at'],
  processed_events: ['processed_at'],
  consent_purges: ['purged_at'],
  dead_letters: ['dead_lettered_at', 'published'],
} satisfies { readonly [T in ViewTable]?: readonly ColumnOf<T>[] };

/** Kafka positions: identical for a rebuild of the same topics, unknown to a model built without Kafka. */
export const POSITION_COLUMNS = ['source_topic', 'source_partition', 'source_offset', 'published_at'] as const;
