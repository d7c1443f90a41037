import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** Milliseconds since the epoch, at performance.now()'s resolution. */
export const now = (): number => performance.timeOrigin + performance.now();

/**
 * Calls `send` at a fixed rate for `seconds` whatever the answers' latency (an open loop, so a
 * slow answer does not slow the load down); resolves with the number sent once all have settled.
 */
export async function openLoop(
  ratePerSecond: number,
  seconds: number,
  send: (index: number, sentAt: number) => Promise<unknown>,
): Promise<number> {
  const total = Math.max(1, Math.round(ratePerSecond * seconds));
  const began = now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = began + (i * 1000) / ratePerSecond;
    const wait = due - now();
    if (wait > 1) await sleep(wait);
    pending.push(send(i, now()).catch(() => undefined));
  }
  await Promise.all(pending);
  return total;
}
