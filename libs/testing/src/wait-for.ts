import { setTimeout as sleep } from 'node:timers/promises';

/** Thrown by a probe to stop waiting at once (a process died, a task failed): `waitFor` rethrows it. */
export class WaitAborted extends Error {}

/**
 * Polls `probe` every `everyMs` until it returns a truthy value, and returns that value; fails
 * after `timeoutMs` naming what it waited for and the probe's last error. A probe that throws is
 * tried again (the thing it reads may not be up yet), unless it throws WaitAborted.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      if (error instanceof WaitAborted) throw error;
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}
