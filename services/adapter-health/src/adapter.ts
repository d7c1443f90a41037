import type { Router } from 'express';
import {
  defineAdapter,
  startAdapter,
  type AdapterConfig,
  type AdapterKit,
  type RunningAdapter,
  type StartOptions,
} from '@passerelle/adapter';
import { fhirContracts, fhirOperations, mountFhirRoutes, mountPublicFhirRoutes, renderFhirProblem } from './entry-points/fhir.routes.ts';
import { loadRegionMap } from './region-map.loader.ts';

const adapter = defineAdapter('HEALTH', {
  serviceGaps: true,
  milestones: true,
  contracts: Object.values(fhirContracts),
  fixtures: new URL('../fixtures/', import.meta.url),
  // Read when the routes are mounted, at start: the definition alone (/openapi.json) reads no file.
  routes: (router: Router, kit: AdapterKit) => mountFhirRoutes(router, kit, loadRegionMap()),
  operations: Object.values(fhirOperations),
  publicRoutes: (router: Router) => mountPublicFhirRoutes(router),
  renderProblem: renderFhirProblem,
});

export interface HealthStartOptions extends StartOptions {
  /** Another region map than config/region-map.json (tests). */
  readonly regionMap?: URL;
}

/** Starts the adapter; the region map is read and checked first, and a bad one stops it naming the file and the entry. */
export async function start(config: AdapterConfig, options: HealthStartOptions = {}): Promise<RunningAdapter> {
  const { regionMap, ...startOptions } = options;
  // Before anything opens (pool, producer, port): a bad map stops the start with nothing to undo.
  const regions = loadRegionMap(regionMap);
  const routes = (router: Router, kit: AdapterKit) => mountFhirRoutes(router, kit, regions);
  return startAdapter({ ...adapter.definition, routes }, config, startOptions);
}

export const healthAdapter = adapter.definition;
export const { definition, loadConfig } = adapter;
