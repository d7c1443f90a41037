import { describe, expect, it } from 'vitest';
import { nextPollDelay, pollUntil, stalled } from './poll.ts';

describe('bench progress polls', () => {
  it('poll rarely far from the end and often near it', () => {
    // 40,000 events left at 5 per ms: 8 s left, poll after 1 s (the cap).
    expect(nextPollDelay(40_000, 5)).toBe(1_000);
    // 1,000 left at 5 per ms: 200 ms left, poll after 50 ms.
    expect(nextPollDelay(1_000, 5)).toBe(50);
    expect(nextPollDelay(2_000, 5)).toBe(100);
    expect(nextPollDelay(0, 5)).toBe(50);
  });

  it('poll at a fixed pace before any progress was seen', () => {
    expect(nextPollDelay(10_000, 0)).toBe(250);
    expect(nextPollDelay(10_000, Number.NaN)).toBe(250);
  });

  it('stop at the first poll that sees the total, keeping every sample', async () => {
    let n = 0;
    const result = await pollUntil('test', 3, async () => n++, 10_000, 1);
    expect(result.samples.map((s) => s.n)).toEqual([0, 1, 2, 3]);
  });

  it('fail naming what it waited for when the total never comes', async () => {
    await expect(pollUntil('the rows', 5, async () => 1, 30, 1)).rejects.toThrow(/the rows \(1 of 5\)/);
  });

  it('tell a stuck pipeline from a slow one', () => {
    const samples = [
      { t: 0, n: 0 },
      { t: 1_000, n: 10 },
      { t: 2_000, n: 10 },
      { t: 5_000, n: 10 },
    ];
    expect(stalled(samples, 4_000)).toBe(true);
    expect(stalled(samples, 5_000)).toBe(false);
    expect(stalled([...samples, { t: 6_000, n: 11 }], 4_000)).toBe(false);
    expect(stalled([{ t: 0, n: 0 }], 1)).toBe(false);
  });
});
