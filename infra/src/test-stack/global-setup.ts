import type { TestProject } from 'vitest/node';
import { endpointsOf, loadStackConfig } from '../config.ts';
import { identityOf } from '../keycloak.ts';
import { provision } from '../provision.ts';
import { down, up } from '../stack.ts';
import { stackFromEnvironment } from './stack-from-environment.ts';
import { testStackParts } from './test-parts.ts';

const log = (message: string): void => console.log(`[test stack] ${message}`);

/**
 * Runs once per vitest run. Uses, in this order: containers when PASSERELLE_TEST_INFRA is
 * "containers"; the stack named by PASSERELLE_KAFKA_BROKERS, PASSERELLE_REGISTRY_URL and
 * PASSERELLE_ZIPKIN_URL (and PASSERELLE_TEST_KAFKA_CREDENTIALS); else the local stack, started
 * if needed and provisioned (topics, ACLs, schemas; idempotent). It stops only what it started.
 * The local stack's endpoints carry the SCRAM credentials of its data folder, and Keycloak's
 * issuer and generated secrets (`identity`) unless PASSERELLE_TEST_KEYCLOAK is "off".
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
  const parts = testStackParts();
  const result = await up(config, log, parts);
  await provision(config, log);
  const identity = parts.includes('keycloak') ? identityOf(config) : undefined;
  project.provide('stack', { ...endpointsOf(config), ...(identity ? { identity } : {}) });
  return async () => {
    if (result.started.length > 0) await down(config, log, result.started);
  };
}
