import type { Router } from 'express';
import { loadAdapterConfig, startAdapter, type AdapterConfig, type AdapterDefinition, type AdapterKit, type RunningAdapter, type StartOptions } from '@passerelle/adapter';
import type { EnvSource } from '@passerelle/config';
import { mountFhirRoutes } from './entry-points/fhir.routes.ts';

export const healthAdapter: AdapterDefinition = {
  service: 'adapter-health',
  ministry: 'HEALTH',
  serviceGaps: true,
  milestones: true,
  routes: (router: Router, kit: AdapterKit) => mountFhirRoutes(router, kit),
};

export function loadConfig(env: EnvSource): AdapterConfig {
  return loadAdapterConfig(env, { port: 8103, databaseSchema: 'adapter_health' });
}

export function start(config: AdapterConfig, options: StartOptions = {}): Promise<RunningAdapter> {
  return startAdapter(healthAdapter, config, options);
}
