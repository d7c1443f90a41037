import type { Router } from 'express';
import { defineAdapter, type AdapterKit } from '@passerelle/adapter';
import { mountReferralRoutes } from './entry-points/referral.routes.ts';

const adapter = defineAdapter('EDUCATION', {
  serviceGaps: true,
  milestones: true,
  referralLifecycle: { referenceField: 'boardReferralId' },
  routes: (router: Router, kit: AdapterKit) => mountReferralRoutes(router, kit),
});

export const educationAdapter = adapter.definition;
export const { loadConfig, start } = adapter;
