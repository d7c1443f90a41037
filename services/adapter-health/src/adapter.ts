import type { Router } from 'express';
import { defineAdapter, type AdapterKit } from '@passerelle/adapter';
import { fhirContracts, fhirOperations, mountFhirRoutes, mountPublicFhirRoutes, renderFhirProblem } from './entry-points/fhir.routes.ts';

const adapter = defineAdapter('HEALTH', {
  serviceGaps: true,
  milestones: true,
  contracts: Object.values(fhirContracts),
  fixtures: new URL('../fixtures/', import.meta.url),
  routes: (router: Router, kit: AdapterKit) => mountFhirRoutes(router, kit),
  operations: Object.values(fhirOperations),
  publicRoutes: (router: Router) => mountPublicFhirRoutes(router),
  renderProblem: renderFhirProblem,
});

export const healthAdapter = adapter.definition;
export const { definition, loadConfig, start } = adapter;
