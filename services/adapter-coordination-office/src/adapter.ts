import type { Router } from 'express';
import { loadAdapterConfig, startAdapter, type AdapterConfig, type AdapterDefinition, type RunningAdapter, type StartOptions } from '@passerelle/adapter';
import type { EnvSource } from '@passerelle/config';

/**
 * The coordination office leads most initiatives of pillars 1, 3 and 4 itself. Its milestones
 * enter through the same machinery as a ministry's (own credential, own pseudonym key, own
 * outbox) and go to coordination-office.initiative-milestones.v1. It has no referrals or gaps
 * of its own, so only POST /initiative-milestones is mounted.
 */
export const coordinationOfficeAdapter: AdapterDefinition = {
  service: 'adapter-coordination-office',
  ministry: 'COORDINATION_OFFICE',
  serviceGaps: false,
  milestones: true,
  routes: (_router: Router) => undefined,
};

export function loadConfig(env: EnvSource): AdapterConfig {
  return loadAdapterConfig(env, { port: 8105, databaseSchema: 'adapter_coordination_office' });
}

export function start(config: AdapterConfig, options: StartOptions = {}): Promise<RunningAdapter> {
  return startAdapter(coordinationOfficeAdapter, config, options);
}
