import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';
import { runDemoScenario } from '../../scripts/demo/scenario.ts';
import { ADAPTER_NAMES, startAdapters, stopAdapters, type AdapterName, type StartedAdapter } from './adapter-harness.ts';

const stack = inject('stack');

describe('the npm start demo scenario', () => {
  let database: TestDatabase;
  let adapters: Record<AdapterName, StartedAdapter>;

  beforeAll(async () => {
    database = await createTestDatabase(stack.databaseUrl, 'adapters_demo');
    adapters = await startAdapters({ ...stack, databaseUrl: database.url });
  });

  afterAll(async () => {
    await stopAdapters(adapters ?? {});
    await database?.drop();
  });

  it('is accepted whole by the five adapters, and a second run is answered with the same acceptances', async () => {
    const targets = Object.fromEntries(
      ADAPTER_NAMES.map((name) => [name, { url: adapters[name].url, token: adapters[name].token }]),
    ) as Parameters<typeof runDemoScenario>[0];
    const messages: string[] = [];

    const first = await runDemoScenario(targets, (m) => messages.push(m));
    const second = await runDemoScenario(targets, () => undefined);

    expect(first.accepted).toBeGreaterThanOrEqual(30);
    expect(second.accepted).toBe(first.accepted);
    expect(messages.length).toBeGreaterThan(5);
  });
});
