import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { FaultServices, LoadGenerator, RecoveryClock, waitFor } from './fault-harness.ts';
import { LOAD, finishScenario } from './scenario.ts';

const stack = inject('faultStack');
let services: FaultServices | undefined;

afterAll(async () => {
  await services?.stop();
});

describe('the projector killed with SIGKILL mid-batch', () => {
  it('applies every accepted event exactly once across three kills and restarts', async () => {
    services = await FaultServices.start(stack.endpoints, 'projector_sigkill');
    const running = services;
    const load = new LoadGenerator(running, 'pk', LOAD);
    load.start();

    const kills: { inTransaction: boolean }[] = [];
    for (const fraction of [0.2, 0.4, 0.6]) {
      await load.reached(fraction);
      // Kill while a batch transaction is open, when one opens within a few seconds.
      const inTransaction = await waitFor(
        'a projector transaction',
        async () => (await running.projectorInTransaction()) || undefined,
        3_000,
        20,
      ).catch(() => false);
      await running.projector.kill();
      kills.push({ inTransaction });
      await sleep(1_000);
      await running.projector.start();
    }
    const clock = await RecoveryClock.start(running);

    await finishScenario(
      running,
      load,
      clock,
      'projector-sigkill',
      `${kills.length} SIGKILLs (${kills.filter((k) => k.inTransaction).length} in a transaction)`,
    );
    expect(kills).toHaveLength(3);
    expect(
      kills.some((kill) => kill.inTransaction),
      'at least one kill hit an open batch transaction',
    ).toBe(true);
    expect(running.projector.unexpectedExits).toBe(0);
  }, 600_000);
});
