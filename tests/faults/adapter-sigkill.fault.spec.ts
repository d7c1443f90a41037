import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { FaultServices, LoadGenerator, RecoveryClock, waitFor } from './fault-harness.ts';
import { LOAD, finishScenario } from './scenario.ts';

const stack = inject('faultStack');
let services: FaultServices | undefined;

afterAll(async () => {
  await services?.stop();
});

describe('an adapter killed with SIGKILL between accepting and publishing', () => {
  it('publishes after its restart every record it had accepted, and the client retries resolve to the same events', async () => {
    services = await FaultServices.start(stack.endpoints, 'adapter_sigkill');
    const running = services;
    const justice = running.adapters.justice;
    const load = new LoadGenerator(running, 'ak', LOAD);
    load.start();

    const kills: { pendingAtKill: number }[] = [];
    const unpublished = async (): Promise<number> => {
      const [row] = await running.db.withSchema(justice.schema).table('outbox').whereNull('published_at').count({ n: '*' });
      return Number(row?.['n'] ?? 0);
    };
    for (const fraction of [0.2, 0.4, 0.6]) {
      await load.reached(fraction);
      // The relay is held back (as by a slow broker) so that accepted rows wait in the outbox; a burst
      // of acceptances, then SIGKILL while requests are in flight and those rows are unpublished.
      const release = await running.holdRelay('justice');
      load.burst(40);
      await waitFor('accepted rows waiting for the relay', async () => (await unpublished()) > 0, 30_000, 20);
      await sleep(300);
      await justice.process.kill();
      kills.push({ pendingAtKill: await unpublished() });
      await release();
      await sleep(2_000);
      await justice.process.start();
    }
    const clock = await RecoveryClock.start(running);

    const pending = kills.reduce((n, k) => n + k.pendingAtKill, 0);
    await finishScenario(
      running,
      load,
      clock,
      'adapter-sigkill',
      `${kills.length} SIGKILLs of adapter-justice, ${pending} rows unpublished at the kills`,
    );
    expect(
      kills.map((k) => k.pendingAtKill > 0),
      'each kill left accepted rows unpublished',
    ).toEqual([true, true, true]);
    expect(load.retries, 'requests cut by the kills were sent again').toBeGreaterThan(0);
  }, 600_000);
});
