import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { down, up } from '@passerelle/infra';
import { FaultServices, LoadGenerator, RecoveryClock } from './fault-harness.ts';
import { faultStackConfig, useSmallRegistryPool } from './global-setup.ts';
import { LOAD, finishScenario } from './scenario.ts';

const stack = inject('faultStack');
const log = (message: string): void => console.log(`[fault registry-outage] ${message}`);
let services: FaultServices | undefined;

afterAll(async () => {
  await services?.stop();
});

describe('the schema registry stopped mid-stream', () => {
  it('holds events it cannot encode or decode until the registry is back, then applies every one once', async () => {
    services = await FaultServices.start(stack.endpoints, 'registry_outage');
    const config = faultStackConfig(stack);
    const load = new LoadGenerator(services, 'ro', LOAD);
    load.start();
    await load.reached(0.25);

    const stoppedAt = Date.now();
    await down(config, log, ['registry']);
    // Restarted while the registry is away, the projector and one adapter start with empty schema caches.
    await services.projector.stop();
    await services.projector.start();
    await services.adapters.justice.process.stop();
    await services.adapters.justice.process.start();
    await sleep(5_000);
    const unpublishedDuringOutage = await services.unpublished();
    useSmallRegistryPool();
    await up(config, log, ['registry']);
    const endedAt = Date.now();
    const clock = await RecoveryClock.start(services, endedAt);

    const result = await finishScenario(
      services,
      load,
      clock,
      'registry-stopped',
      `registry down ${((endedAt - stoppedAt) / 1000).toFixed(0)} s; projector and justice adapter restarted meanwhile`,
    );
    expect(
      unpublishedDuringOutage,
      'the restarted adapter could not encode without the registry: rows waited in the outbox',
    ).toBeGreaterThan(0);
    expect(services.projector.unexpectedExits + Object.values(services.adapters).reduce((n, a) => n + a.process.unexpectedExits, 0)).toBe(
      0,
    );
    expect(result.applied).toBe(result.accepted);
  }, 600_000);
});
