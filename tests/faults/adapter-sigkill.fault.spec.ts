import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { FaultServices, LoadGenerator, RecoveryClock } from './fault-harness.ts';
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
    for (const fraction of [0.2, 0.4, 0.6]) {
      await load.reached(fraction);
      // A burst of acceptances, then SIGKILL while requests are in flight and rows wait for the relay.
      load.burst(40);
      await sleep(300);
      await justice.process.kill();
      const [row] = await running.db.withSchema(justice.schema).table('outbox').whereNull('published_at').count({ n: '*' });
      kills.push({ pendingAtKill: Number(row?.['n'] ?? 0) });
      await sleep(2_000);
      await justice.process.start();
    }
    const clock = await RecoveryClock.start(running);

    const pending = kills.reduce((n, k) => n + k.pendingAtKill, 0);
    await finishScenario(running, load, clock, 'adapter-sigkill', `${kills.length} SIGKILLs of adapter-justice, ${pending} rows unpublished at the kills`);
    expect(pending, 'the kills left accepted rows unpublished').toBeGreaterThan(0);
    expect(load.retries, 'requests cut by the kills were sent again').toBeGreaterThan(0);
  }, 600_000);
});
