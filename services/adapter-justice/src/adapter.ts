import type { Router } from 'express';
import { defineAdapter, type AdapterKit } from '@passerelle/adapter';
import { referralContracts, mountReferralRoutes } from './entry-points/referral.routes.ts';

const adapter = defineAdapter('JUSTICE', {
  serviceGaps: true,
  milestones: true,
  referralLifecycle: { referenceField: 'referralNumber' },
  contracts: Object.values(referralContracts),
  fixtures: new URL('../fixtures/', import.meta.url),
  routes: (router: Router, kit: AdapterKit) => mountReferralRoutes(router, kit),
});

export const justiceAdapter = adapter.definition;
export const { definition, loadConfig, start } = adapter;
