import type { Router } from 'express';
import { defineAdapter, type AdapterKit } from '@passerelle/adapter';
import { mountFhirRoutes } from './entry-points/fhir.routes.ts';

const adapter = defineAdapter('HEALTH', {
  serviceGaps: true,
  milestones: true,
  routes: (router: Router, kit: AdapterKit) => mountFhirRoutes(router, kit),
});

export const healthAdapter = adapter.definition;
export const { loadConfig, start } = adapter;
