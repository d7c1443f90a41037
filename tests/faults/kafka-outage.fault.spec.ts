import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { down, up } from '@passerelle/infra';
import { FaultServices, LoadGenerator, RecoveryClock } from './fault-harness.ts';
import { faultStackConfig } from './global-setup.ts';
import { LOAD, finishScenario } from './scenario.ts';

const stack = inject('faultStack');
const log = (message: string): void => console.log(`[fault kafka-outage] ${message}`);
let services: FaultServices | undefined;

afterAll(async () => {
  await services?.stop();
});

describe('the Kafka broker stopped mid-stream', () => {
  it('keeps accepting while the broker is down; after it restarts every accepted event is published and applied once', async () => {
    services = await FaultServices.start(stack.endpoints, 'kafka_outage');
    const config = faultStackConfig(stack);
    const load = new LoadGenerator(services, 'ko', LOAD);
    load.start();
    await load.reached(0.25);

    const stoppedAt = Date.now();
    await down(config, log, ['kafka']);
    const acknowledgedAtStop = load.acknowledged.size;
    await sleep(12_000);
    const waitingDuringOutage = await services.unpublished();
    const acknowledgedDuringOutage = load.acknowledged.size - acknowledgedAtStop;
    await up(config, log, ['kafka']);
    const endedAt = Date.now();
    const clock = await RecoveryClock.start(services, endedAt);
    const outageSeconds = (endedAt - stoppedAt) / 1000;

    const result = await finishScenario(services, load, clock, 'kafka-broker-stopped', `broker down ${outageSeconds.toFixed(0)} s`);
    expect(acknowledgedDuringOutage, 'the adapters kept answering 202 while the broker was down').toBeGreaterThan(100);
    expect(waitingDuringOutage, 'records accepted during the outage waited in the outbox').toBeGreaterThan(0);
    expect(services.projector.unexpectedExits + Object.values(services.adapters).reduce((n, a) => n + a.process.unexpectedExits, 0)).toBe(
      0,
    );
    expect(result.accepted).toBeGreaterThan(0);
  }, 600_000);
});
