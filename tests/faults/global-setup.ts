import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, down, endpointsOf, loadStackConfig, provision, up, type StackConfig } from '@passerelle/infra';
import type { TestProject } from 'vitest/node';
import { freePort, type TestStack } from '@passerelle/testing';
import { FAULT_RESULTS_DIR, printFaultTable } from './fault-table.ts';

/** The fault suite's private stack: its own home and ports, because the suite stops Kafka and the registry. */
export interface FaultStack {
  /** The variables loadStackConfig reads to describe this stack again (down/up of one part). */
  readonly env: Record<string, string>;
  readonly endpoints: TestStack;
}

declare module 'vitest' {
  export interface ProvidedContext {
    faultStack: FaultStack;
  }
}

const log = (message: string): void => console.log(`[fault stack] ${message}`);

/**
 * Apicurio keeps 20 PostgreSQL connections open by default; with the shared registry and other
 * private ones on the same server that nears max_connections. Read from the environment of the
 * process that calls `up`, so set before each start of this stack's registry.
 */
export function useSmallRegistryPool(): void {
  for (const [name, value] of Object.entries({
    APICURIO_DATASOURCE_JDBC_INITIAL_SIZE: '2',
    APICURIO_DATASOURCE_JDBC_MIN_SIZE: '2',
    APICURIO_DATASOURCE_JDBC_MAX_SIZE: '10',
  })) {
    process.env[name] ??= value;
  }
}

/** The stack config a spec rebuilds from the provided variables. */
export function faultStackConfig(stack: FaultStack): StackConfig {
  return loadStackConfig(stack.env);
}

/**
 * Starts Kafka and the registry once for the fault suite, in `.passerelle/faults-stack` (its
 * server binaries are copied there once), on free ports, with an empty Kafka log each run.
 * The shared stack other tests use is never touched. Prints the fault table at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  fs.rmSync(FAULT_RESULTS_DIR, { recursive: true, force: true });
  fs.mkdirSync(FAULT_RESULTS_DIR, { recursive: true });
  const home = path.join(REPO_ROOT, '.passerelle', 'faults-stack');
  const base: Record<string, string> = { PASSERELLE_HOME: home, PASSERELLE_REGISTRY_DATABASE: 'passerelle_faults_registry' };
  for (const name of ['DATABASE_URL', 'JAVA_HOME', 'PASSERELLE_REGISTRY_JAVA_HOME', 'PASSERELLE_READY_TIMEOUT_S']) {
    const value = process.env[name];
    if (value) base[name] = value;
  }
  // A run that died without its teardown may have left this private stack running: stop it first.
  await down(loadStackConfig(base), log, ['kafka', 'registry']);
  fs.rmSync(path.join(home, 'kafka'), { recursive: true, force: true });

  const env: Record<string, string> = {
    ...base,
    PASSERELLE_KAFKA_PORT: String(await freePort()),
    PASSERELLE_KAFKA_CONTROLLER_PORT: String(await freePort()),
    PASSERELLE_KAFKA_METRICS_PORT: String(await freePort()),
    PASSERELLE_REGISTRY_PORT: String(await freePort()),
    PASSERELLE_REGISTRY_MANAGEMENT_PORT: String(await freePort()),
  };
  const config = loadStackConfig(env);
  const began = Date.now();
  useSmallRegistryPool();
  await up(config, log, ['kafka', 'registry']);
  await provision(config, log);
  log(`private stack ready in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  project.provide('faultStack', { env, endpoints: endpointsOf(config) });

  return async () => {
    await down(config, log, ['kafka', 'registry']);
    if (process.env['PASSERELLE_FAULT_TABLE'] !== 'off') printFaultTable(console.log);
  };
}
