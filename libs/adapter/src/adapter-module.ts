import type { EnvSource } from '@passerelle/config';
import type { TopicOwner } from '@passerelle/contracts';
import { adapterPartyOf, loadAdapterConfig, type AdapterConfig } from './adapter-config.ts';
import { startAdapter, type AdapterDefinition, type RunningAdapter, type StartOptions } from './adapter-service.ts';

/** What an adapter adds to what the party registry says about it: the routes it mounts. */
export type AdapterFeatures = Omit<AdapterDefinition, 'service' | 'ministry'>;

/** What each adapter package exports: its definition, its config reader and its start. */
export interface AdapterModule {
  readonly definition: AdapterDefinition;
  loadConfig(env: EnvSource): AdapterConfig;
  start(config: AdapterConfig, options?: StartOptions): Promise<RunningAdapter>;
}

/** One adapter of the party `id`: its service name, ministry, port and schema come from the party registry. */
export function defineAdapter(id: TopicOwner, features: AdapterFeatures): AdapterModule {
  const party = adapterPartyOf(id);
  const definition: AdapterDefinition = { service: party.service, ministry: party.ministry, ...features };
  return {
    definition,
    loadConfig: (env) => loadAdapterConfig(env, party.defaults),
    start: (config, options = {}) => startAdapter(definition, config, options),
  };
}
