import type { EventPayloads, Ministry } from '@passerelle/schemas/generated';
import type { EventType } from '@passerelle/contracts';
import {
  BOOKKEEPING_COLUMNS,
  POSITION_COLUMNS,
  TABLE_KEYS,
  VIEW_TABLES,
  type ViewSnapshot,
  type ViewTable,
} from '@passerelle/coordination-view';
import type { OpenedSubject } from './subject-opening.ts';

// The view's tables, rows and population groups are the contract with the view API: they live in
// @passerelle/coordination-view. DeadLetterRow stays importable from here for the batch entries.
export type { DeadLetterRow } from '@passerelle/coordination-view';

/** Where a message was read: together with the eventId, what history rows keep of Kafka. */
export interface SourcePosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The Kafka record's timestamp (the producer's send time: the event's publication); unknown without Kafka. */
  readonly publishedAt?: number;
}

/** A decoded event that passed every check, ready to be applied. */
export interface AcceptedEvent<T extends EventType = EventType> {
  readonly eventId: string;
  readonly type: T;
  readonly payload: EventPayloads[T];
  readonly occurredAt: number;
  readonly sourceMinistry: Ministry;
  readonly position: SourcePosition;
  /** W3C trace id (32 hex) of the trace the event belongs to, when it carried one. */
  readonly traceId: string | null;
  /** A sealed ReferralCreated's subject, opened before planning (subject-opening.ts); in memory only, never stored. */
  readonly opened?: OpenedSubject;
}

/**
 * What a first-time consent purge erased, counted by the plan: the erasure receipt's places,
 * never values (the key store's part is added by the transaction that destroys the data key).
 */
export interface ErasurePlaces {
  /** Referral rows of the view whose person-level columns this withdrawal emptied (1 on the referral's first erasure, 0 after). */
  readonly viewReferralRows: number;
  /** History rows whose body lost its person-level fields in this batch. */
  readonly historyRows: number;
}

/** One erasing withdrawal new to the view, for its erasure receipt. */
export interface ErasureRow {
  referral_id: string;
  withdrawal_event_id: string;
  withdrawn_at: number;
  places: ErasurePlaces;
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

export function sortRows<T extends object>(table: ViewTable, rows: readonly T[]): T[] {
  const keys = TABLE_KEYS[table];
  return [...rows].sort((x, y) => {
    for (const key of keys) {
      const order = compareValues((x as Record<string, unknown>)[key], (y as Record<string, unknown>)[key]);
      if (order !== 0) return order;
    }
    return 0;
  });
}

/**
 * The snapshot without bookkeeping columns (and, with `withoutPositions`, without Kafka
 * positions): two views of the same events are equal under this projection.
 */
export function comparable(
  snapshot: ViewSnapshot,
  options: { withoutPositions?: boolean; tables?: readonly ViewTable[] } = {},
): Record<string, Record<string, unknown>[]> {
  const result: Record<string, Record<string, unknown>[]> = {};
  for (const table of options.tables ?? VIEW_TABLES) {
    const dropped = new Set<string>([...(BOOKKEEPING_COLUMNS[table] ?? []), ...(options.withoutPositions ? POSITION_COLUMNS : [])]);
    result[table] = sortRows(table, snapshot[table] as object[]).map((row) =>
      Object.fromEntries(Object.entries(row).filter(([column]) => !dropped.has(column))),
    );
  }
  return result;
}
