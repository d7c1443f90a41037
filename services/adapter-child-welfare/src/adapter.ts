import type { Router } from 'express';
import { loadAdapterConfig, startAdapter, type AdapterConfig, type AdapterDefinition, type AdapterKit, type RunningAdapter, type StartOptions } from '@passerelle/adapter';
import type { EnvSource } from '@passerelle/config';
import { mountReferralRoutes } from './entry-points/referral.routes.ts';

export const childWelfareAdapter: AdapterDefinition = {
  service: 'adapter-child-welfare',
  ministry: 'CHILD_WELFARE',
  serviceGaps: true,
  milestones: true,
  referralLifecycle: { referenceField: 'casReference' },
  routes: (router: Router, kit: AdapterKit) => mountReferralRoutes(router, kit),
};

export function loadConfig(env: EnvSource): AdapterConfig {
  return loadAdapterConfig(env, { port: 8102, databaseSchema: 'adapter_child_welfare' });
}

export function start(config: AdapterConfig, options: StartOptions = {}): Promise<RunningAdapter> {
  return startAdapter(childWelfareAdapter, config, options);
}
