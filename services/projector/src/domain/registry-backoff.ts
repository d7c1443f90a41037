/**
 * How long a partition waits before it reads again while the schema registry is unavailable:
 * double the previous wait, at least half a second, at most `maxMs`. The first wait is 500 ms.
 */
export function nextRetryDelayMs(previousMs: number | undefined, maxMs: number): number {
  return Math.min(maxMs, Math.max(500, (previousMs ?? 250) * 2));
}
