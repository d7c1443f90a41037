import type { Router } from 'express';
import { defineAdapter, type AdapterKit } from '@passerelle/adapter';
import { referralContracts, mountReferralRoutes } from './entry-points/referral.routes.ts';

const adapter = defineAdapter('CHILD_WELFARE', {
  serviceGaps: true,
  milestones: true,
  referralLifecycle: { referenceField: 'casReference' },
  contracts: Object.values(referralContracts),
  fixtures: new URL('../fixtures/', import.meta.url),
  routes: (router: Router, kit: AdapterKit) => mountReferralRoutes(router, kit),
});

export const childWelfareAdapter = adapter.definition;
export const { definition, loadConfig, start } = adapter;
