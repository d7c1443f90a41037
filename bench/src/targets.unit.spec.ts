import { describe, expect, it } from 'vitest';
import { spread } from './stats.ts';
import { clears, target, thresholdRange } from './targets.ts';

describe('bench targets', () => {
  it('is met only when every run clears the threshold, not the median alone', () => {
    expect(clears(spread([3_100, 3_200, 3_300]), { direction: 'atLeast', reference: 3_000 })).toBe(true);
    expect(clears(spread([2_900, 3_200, 3_300]), { direction: 'atLeast', reference: 3_000 })).toBe(false);
    expect(clears(spread([40, 45, 49]), { direction: 'atMost', reference: 50 })).toBe(true);
    expect(clears(spread([40, 45, 51]), { direction: 'atMost', reference: 50 })).toBe(false);
  });

  it('takes the strictest end of a threshold that is a multiple of another measurement', () => {
    // 1.5 × a peer measured 8,000–10,000: every projector run must reach 15,000.
    const peer = spread([8_000, 9_000, 10_000]);
    expect(thresholdRange({ direction: 'atLeast', reference: peer, factor: 1.5 })).toMatchObject({ min: 12_000, max: 15_000 });
    expect(clears(spread([14_000, 16_000, 17_000]), { direction: 'atLeast', reference: peer, factor: 1.5 })).toBe(false);
    expect(clears(spread([15_000, 16_000, 17_000]), { direction: 'atLeast', reference: peer, factor: 1.5 })).toBe(true);
    // p99 ≤ 3 × Kafka's p99 + 10 ms, Kafka's p99 measured 20–30 ms: every run within 70 ms.
    const kafka = spread([20, 25, 30]);
    expect(clears(spread([60, 65, 70]), { direction: 'atMost', reference: kafka, factor: 3, offset: 10 })).toBe(true);
    expect(clears(spread([60, 65, 71]), { direction: 'atMost', reference: kafka, factor: 3, offset: 10 })).toBe(false);
  });

  it('says neither yes nor no when a side was not measured', () => {
    expect(clears(spread([]), { direction: 'atLeast', reference: 1 })).toBeNull();
    expect(clears(spread([5]), { direction: 'atLeast', reference: spread([]) })).toBeNull();
    expect(target('x', undefined, 'ev/s', { direction: 'atLeast', reference: 1 }).met).toBeNull();
  });

  it('prints threshold and measurement as median (min–max) with the ratio of the medians', () => {
    const row = target('HTTP accepted ≥ 0.5 × L_http', spread([900, 1_000, 1_100]), 'req/s', {
      direction: 'atLeast',
      reference: spread([1_800, 2_000, 2_200]),
      factor: 0.5,
    });
    expect(row).toEqual({
      name: 'HTTP accepted ≥ 0.5 × L_http',
      target: '≥ 1000 (900–1100) req/s',
      measured: '1000 (900–1100) req/s',
      ratio: 1,
      met: false,
    });
  });

  it('counts an unseen sample as a miss of a latency bound', () => {
    expect(clears(spread([40, Number.POSITIVE_INFINITY, 45]), { direction: 'atMost', reference: 50 })).toBe(false);
  });
});
