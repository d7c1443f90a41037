/**
 * What `projector topics seal` does to one partition, decided from what the partition holds:
 * a pure function, so that a second run after a crash finds the work already done.
 *
 * A legacy ReferralCreated (person-level fields in plaintext) can only leave a topic with the
 * records before it, since Kafka deletes a partition's prefix, never one record. So every
 * record up to the partition's last legacy creation is appended again at the end of the
 * partition (the legacy ones sealed, the others byte for byte), each copy naming its origin in
 * a header, and then the prefix is deleted. A record whose origin already has a copy after that
 * point is not copied twice.
 */

/** Header of a copy: the position (`topic:partition:offset`) of the record it replaces. */
export const SEALED_COPY_HEADER = 'passerelle-sealed-copy-of';

export interface PartitionRecord {
  readonly offset: bigint;
  /** The copy header's value, or the record's own position when it is an original. */
  readonly origin: string;
  /** A ReferralCreated whose subject travels in plaintext. */
  readonly legacy: boolean;
}

export interface PartitionSealPlan {
  /** Records to append again, in offset order. */
  readonly copy: readonly PartitionRecord[];
  /** Records whose position moves to their origin's copy (every record of the deleted prefix). */
  readonly moved: readonly PartitionRecord[];
  /** Delete the records below this offset once the copies are acknowledged; null: nothing to do. */
  readonly deleteBelow: bigint | null;
}

/** `records` in offset order. */
export function planPartitionSeal(records: readonly PartitionRecord[]): PartitionSealPlan {
  const lastLegacy = records.reduce<bigint | null>((last, r) => (r.legacy && (last === null || r.offset > last) ? r.offset : last), null);
  if (lastLegacy === null) return { copy: [], moved: [], deleteBelow: null };
  const prefix = records.filter((r) => r.offset <= lastLegacy);
  const copied = new Set(records.filter((r) => r.offset > lastLegacy).map((r) => r.origin));
  return { copy: prefix.filter((r) => !copied.has(r.origin)), moved: prefix, deleteBelow: lastLegacy + 1n };
}

export const positionOf = (topic: string, partition: number, offset: bigint | number | string): string => `${topic}:${partition}:${offset}`;
