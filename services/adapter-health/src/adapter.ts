import type { Router } from 'express';
import { defineAdapter, type AdapterKit } from '@passerelle/adapter';
import { fhirContracts, mountFhirRoutes } from './entry-points/fhir.routes.ts';

const adapter = defineAdapter('HEALTH', {
  serviceGaps: true,
  milestones: true,
  contracts: Object.values(fhirContracts),
  fixtures: new URL('../fixtures/', import.meta.url),
  routes: (router: Router, kit: AdapterKit) => mountFhirRoutes(router, kit),
});

export const healthAdapter = adapter.definition;
export const { definition, loadConfig, start } = adapter;
