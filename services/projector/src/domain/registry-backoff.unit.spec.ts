import { describe, expect, it } from 'vitest';
import { nextRetryDelayMs } from './registry-backoff.ts';

describe('the back-off of a partition waiting for the registry', () => {
  it('waits half a second first, then twice as long each time, up to the maximum', () => {
    const delays: number[] = [];
    let previous: number | undefined;
    for (let attempt = 0; attempt < 8; attempt++) delays.push((previous = nextRetryDelayMs(previous, 30_000)));

    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });

  it('never waits longer than a maximum below half a second', () => {
    expect(nextRetryDelayMs(undefined, 200)).toBe(200);
  });
});
