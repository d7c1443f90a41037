import { describe, expect, it } from 'vitest';
import { planPartitionSeal, positionOf, type PartitionRecord } from './topic-seal-plan.ts';

const at = (offset: number, legacy = false, origin = positionOf('t', 0, offset)): PartitionRecord => ({
  offset: BigInt(offset),
  origin,
  legacy,
});

describe('planning the seal of one partition', () => {
  it('does nothing to a partition without a plaintext creation', () => {
    expect(planPartitionSeal([at(0), at(1)])).toEqual({ copy: [], moved: [], deleteBelow: null });
  });

  it('copies every record up to the last plaintext creation, in order, and deletes below it; later records stay', () => {
    const records = [at(0, true), at(1), at(2, true), at(3)];
    const plan = planPartitionSeal(records);
    expect(plan.copy.map((r) => r.offset)).toEqual([0n, 1n, 2n]);
    expect(plan.moved.map((r) => r.offset)).toEqual([0n, 1n, 2n]);
    expect(plan.deleteBelow).toBe(3n);
  });

  it('after a crash between the copies and the deletion, copies nothing twice but still moves and deletes', () => {
    // The earlier run appended the copy of 0 (at 3), then stopped before copying 1.
    const records = [at(0, true), at(1, true), at(2), at(3, false, positionOf('t', 0, 0))];
    const plan = planPartitionSeal(records);
    expect(plan.copy.map((r) => r.offset)).toEqual([1n]);
    expect(plan.moved.map((r) => r.offset)).toEqual([0n, 1n]);
    expect(plan.deleteBelow).toBe(2n);
  });

  it('re-copies an earlier copy caught in the prefix, keeping its first origin', () => {
    const records = [at(5, false, positionOf('t', 0, 0)), at(6, true)];
    expect(planPartitionSeal(records).copy.map((r) => r.origin)).toEqual([positionOf('t', 0, 0), positionOf('t', 0, 6)]);
  });
});
