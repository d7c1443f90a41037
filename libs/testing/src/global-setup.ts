import type { TestProject } from 'vitest/node';
import { down, endpointsOf, loadStackConfig, provision, up } from '@passerelle/infra';
import { stackFromEnvironment, type TestStack } from './stack-endpoints.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: TestStack;
  }
}

const log = (message: string): void => console.log(`[test stack] ${message}`);

/**
 * Runs once per vitest run. Uses, in this order: containers when PASSERELLE_TEST_INFRA is
 * "containers"; the stack named by PASSERELLE_KAFKA_BROKERS, PASSERELLE_REGISTRY_URL and
 * PASSERELLE_ZIPKIN_URL (and PASSERELLE_TEST_KAFKA_CREDENTIALS); else the local stack, started
 * if needed and provisioned (topics, ACLs, schemas; idempotent). It stops only what it started.
 * The local stack's endpoints carry the SCRAM credentials of its data folder.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env['PASSERELLE_TEST_INFRA'] === 'containers') {
    const containers = await (await import('./containers.ts')).startContainers();
    project.provide('stack', containers.stack);
    return containers.stop;
  }

  const named = stackFromEnvironment(process.env);
  if (named) {
    log(`using the stack named by the environment (${named.kafkaBrokers.join(',')})`);
    project.provide('stack', named);
    return async () => {};
  }

  const config = loadStackConfig();
  const result = await up(config, log);
  await provision(config, log);
  project.provide('stack', endpointsOf(config));
  return async () => {
    if (result.started.length > 0) await down(config, log, result.started);
  };
}
