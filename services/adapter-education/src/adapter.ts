import type { Router } from 'express';
import { loadAdapterConfig, startAdapter, type AdapterConfig, type AdapterDefinition, type AdapterKit, type RunningAdapter, type StartOptions } from '@passerelle/adapter';
import type { EnvSource } from '@passerelle/config';
import { mountReferralRoutes } from './entry-points/referral.routes.ts';

export const educationAdapter: AdapterDefinition = {
  service: 'adapter-education',
  ministry: 'EDUCATION',
  serviceGaps: true,
  milestones: true,
  referralLifecycle: { referenceField: 'boardReferralId' },
  routes: (router: Router, kit: AdapterKit) => mountReferralRoutes(router, kit),
};

export function loadConfig(env: EnvSource): AdapterConfig {
  return loadAdapterConfig(env, { port: 8104, databaseSchema: 'adapter_education' });
}

export function start(config: AdapterConfig, options: StartOptions = {}): Promise<RunningAdapter> {
  return startAdapter(educationAdapter, config, options);
}
