import { describe, expect, it } from 'vitest';
import { spreadByKey } from './events.ts';

/** Key k's i-th event is "k:i"; keys come one after the other, all their events together, as the scenario generator writes them. */
function together(keys: number, perKey: number): string[] {
  return Array.from({ length: keys }, (_, k) => Array.from({ length: perKey }, (_, i) => `${k}:${i}`)).flat();
}

const slicesOf = (items: readonly string[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

describe('bench events spread over the run', () => {
  const input = together(300, 4);
  const output = [...spreadByKey(slicesOf(input, 100), (item) => item.split(':')[0] as string, 200)].flat();

  it('gives every event exactly once', () => {
    expect(output).toHaveLength(input.length);
    expect([...output].sort()).toEqual([...input].sort());
  });

  it("keeps each key's events in their order", () => {
    const byKey = new Map<string, string[]>();
    for (const item of output) byKey.set(item.split(':')[0] as string, [...(byKey.get(item.split(':')[0] as string) ?? []), item]);
    for (const [key, items] of byKey) expect(items).toEqual([0, 1, 2, 3].map((i) => `${key}:${i}`));
  });

  it("puts a key's next event about a gap later in the stream, not next to it", () => {
    const at = new Map(output.map((item, index) => [item, index]));
    const distance = (k: number) => (at.get(`${k}:1`) as number) - (at.get(`${k}:0`) as number);
    // Every key's events are apart; once the stream is under way (delayed events of earlier keys
    // fill the gap), by most of the gap.
    expect(Math.min(...Array.from({ length: 300 }, (_, k) => distance(k)))).toBeGreaterThanOrEqual(40);
    expect(Math.min(...Array.from({ length: 100 }, (_, k) => distance(k + 150)))).toBeGreaterThanOrEqual(140);
  });

  it('starts a key anew when it comes back long after, instead of piling its events at the end', () => {
    // One key every 5,000 items among others: each time on its own, never delayed.
    const items = Array.from({ length: 20_000 }, (_, i) => (i % 5_000 === 0 ? `again:${i}` : `other${i}:0`));
    const spread = [...spreadByKey(slicesOf(items, 1_000), (item) => item.split(':')[0] as string, 2_000)].flat();
    expect(spread).toEqual(items);
  });
});
