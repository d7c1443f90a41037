import { setTimeout as sleep } from 'node:timers/promises';
import { now } from './open-loop.ts';

/**
 * How long to wait before the next progress poll: a quarter of the time the rest should take at
 * the rate seen so far, within [minMs, maxMs]. Far from the end the bench polls about once a
 * second (its queries cost PostgreSQL next to nothing); near the end every `minMs`, so the finish
 * is still timed to within that.
 */
export function nextPollDelay(remaining: number, perMs: number, minMs = 50, maxMs = 1_000): number {
  if (remaining <= 0) return minMs;
  if (!(perMs > 0)) return Math.min(maxMs, 250);
  return Math.max(minMs, Math.min(maxMs, remaining / perMs / 4));
}

export interface PollSample {
  /** Milliseconds since polling began. */
  readonly t: number;
  readonly n: number;
}

/** The progress has not moved for `stallMs`: something downstream is stuck, no use waiting out the timeout. */
export function stalled(samples: readonly PollSample[], stallMs: number): boolean {
  const last = samples.at(-1);
  if (!last) return false;
  const moved = samples.findLast((s) => s.n !== last.n);
  const since = moved ? (samples[samples.indexOf(moved) + 1] as PollSample).t : (samples[0] as PollSample).t;
  return last.t - since >= stallMs;
}

/**
 * Polls `progress` until it reaches `total` (or throws after `timeoutMs`, or once it has not
 * moved for `stallMs`), at nextPollDelay's pace; resolves with the time it was first seen done
 * and every sample.
 */
export async function pollUntil(
  what: string,
  total: number,
  progress: () => Promise<number>,
  timeoutMs = 1_800_000,
  minMs = 50,
  stallMs = 180_000,
): Promise<{ doneAt: number; samples: PollSample[] }> {
  const began = now();
  const samples: PollSample[] = [];
  for (;;) {
    const n = await progress();
    const t = now();
    samples.push({ t: t - began, n });
    if (n >= total) return { doneAt: t, samples };
    if (t - began > timeoutMs) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what} (${n} of ${total})`);
    if (stalled(samples, stallMs)) throw new Error(`${what}: no progress for ${Math.round(stallMs / 1000)} s (${n} of ${total})`);
    const first = samples.find((s) => s.n > 0);
    const perMs = first && t - began > first.t ? (n - first.n) / (t - began - first.t) : 0;
    await sleep(nextPollDelay(total - n, perMs, minMs));
  }
}
