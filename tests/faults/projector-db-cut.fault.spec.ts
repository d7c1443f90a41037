import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { FaultServices, LoadGenerator, RecoveryClock, waitFor } from './fault-harness.ts';
import { LOAD, finishScenario } from './scenario.ts';

const stack = inject('faultStack');
let services: FaultServices | undefined;

afterAll(async () => {
  await services?.stop();
});

describe("the projector's PostgreSQL connections terminated mid-stream", () => {
  it('recovers on new connections and applies every accepted event exactly once', async () => {
    services = await FaultServices.start(stack.endpoints, 'projector_db_cut');
    const running = services;
    const load = new LoadGenerator(running, 'pc', LOAD);
    load.start();

    const cuts: { inTransaction: boolean; terminated: number; at: number }[] = [];
    for (const fraction of [0.15, 0.3, 0.45, 0.6]) {
      await load.reached(fraction);
      // Cut while a batch transaction is open, when one opens within a few seconds.
      const inTransaction = await waitFor(
        'a projector transaction',
        async () => (await running.projectorInTransaction()) || undefined,
        3_000,
        20,
      ).catch(() => false);
      cuts.push({ inTransaction, terminated: await running.terminateProjectorBackends(), at: Date.now() });
      await sleep(2_000);
    }
    const clock = await RecoveryClock.start(running, cuts[cuts.length - 1]?.at);

    const terminated = cuts.reduce((n, c) => n + c.terminated, 0);
    const inTransaction = cuts.filter((c) => c.inTransaction).length;
    await finishScenario(
      running,
      load,
      clock,
      'projector-db-connections-cut',
      `${cuts.length} cuts (${inTransaction} in a transaction), ${terminated} backends terminated`,
    );
    expect(terminated, 'the projector had connections to cut').toBeGreaterThan(0);
    expect(inTransaction, 'at least one cut hit an open batch transaction').toBeGreaterThan(0);
    expect(running.projector.unexpectedExits, `the projector survived the cuts: ${running.projector.output()}`).toBe(0);
  }, 600_000);
});
