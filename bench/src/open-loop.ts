import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** Milliseconds since the epoch, at performance.now()'s resolution. */
export const now = (): number => performance.timeOrigin + performance.now();

/** When the `index`-th send of a fixed-rate load is due, whatever happened to the ones before it. */
export const scheduledAt = (began: number, index: number, ratePerSecond: number): number => began + (index * 1000) / ratePerSecond;

/**
 * Calls `send` at a fixed rate for `seconds` whatever the answers' latency (an open loop, so a
 * slow answer does not slow the load down); resolves with the number sent once all have settled.
 * `send` gets the time the call was scheduled for, not the time it ran: a latency taken from it
 * includes any delay of the load generator itself (no coordinated omission).
 */
export async function openLoop(
  ratePerSecond: number,
  seconds: number,
  send: (index: number, scheduledFor: number) => Promise<unknown>,
): Promise<number> {
  const total = Math.max(1, Math.round(ratePerSecond * seconds));
  const began = now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = scheduledAt(began, i, ratePerSecond);
    const wait = due - now();
    if (wait > 1) await sleep(wait);
    pending.push(send(i, due).catch(() => undefined));
  }
  await Promise.all(pending);
  return total;
}
