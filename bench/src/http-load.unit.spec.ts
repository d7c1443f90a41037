import { describe, expect, it } from 'vitest';
import { parseNumbers, stringifyNumbers } from './http-load.ts';

describe('bench results as JSON', () => {
  it('keep an infinite or undefined percentile through a child process', () => {
    const back = parseNumbers<{ p99: number; p50: number; max: number; count: number }>(
      stringifyNumbers({ p99: Number.POSITIVE_INFINITY, p50: Number.NaN, max: 12.5, count: 3 }),
    );
    expect(back.p99).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(back.p50)).toBe(true);
    expect(back).toMatchObject({ max: 12.5, count: 3 });
  });
});
