import type { Router } from 'express';
import { defineAdapter, type AdapterKit } from '@passerelle/adapter';
import { mountReferralRoutes } from './entry-points/referral.routes.ts';

const adapter = defineAdapter('JUSTICE', {
  serviceGaps: true,
  milestones: true,
  referralLifecycle: { referenceField: 'referralNumber' },
  routes: (router: Router, kit: AdapterKit) => mountReferralRoutes(router, kit),
});

export const justiceAdapter = adapter.definition;
export const { loadConfig, start } = adapter;
