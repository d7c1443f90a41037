import { waitFor } from './wait-for.ts';

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until no process of the group led by `pgid` is left (a child started with
 * `detached: true`, so tsx and the node process it runs go together).
 */
export async function processGroupGone(what: string, pgid: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(what, async () => !groupAlive(pgid), timeoutMs, 50);
}
