import type { Router } from 'express';
import { loadAdapterConfig, startAdapter, type AdapterConfig, type AdapterDefinition, type AdapterKit, type RunningAdapter, type StartOptions } from '@passerelle/adapter';
import type { EnvSource } from '@passerelle/config';
import { mountReferralRoutes } from './entry-points/referral.routes.ts';

export const justiceAdapter: AdapterDefinition = {
  service: 'adapter-justice',
  ministry: 'JUSTICE',
  serviceGaps: true,
  milestones: true,
  referralLifecycle: { referenceField: 'referralNumber' },
  routes: (router: Router, kit: AdapterKit) => mountReferralRoutes(router, kit),
};

export function loadConfig(env: EnvSource): AdapterConfig {
  return loadAdapterConfig(env, { port: 8101, databaseSchema: 'adapter_justice' });
}

export function start(config: AdapterConfig, options: StartOptions = {}): Promise<RunningAdapter> {
  return startAdapter(justiceAdapter, config, options);
}
