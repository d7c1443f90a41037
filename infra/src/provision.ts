import { registerAll, RegistryClient, type RegistrationResult } from '@passerelle/contracts';
import { endpointsOf, type StackConfig, type StackEndpoints } from './config.ts';
import { applyTopics, describeDrift, loadTopicDeclarations, TopicDriftError, type ApplyResult, type TopicDeclaration } from './topics.ts';

export interface ProvisionResult {
  readonly topics: ApplyResult;
  readonly schemas: readonly RegistrationResult[];
}

/**
 * Makes a running stack ready for Passerelle: every declared topic exists with its declared
 * config, and every event schema is registered under FULL_TRANSITIVE. Idempotent, so
 * `npm start` and `npm test` call it after `up` every time. Fails on drift it will not fix
 * (partition counts, replication factors) and on a schema the registry finds incompatible.
 */
export async function provisionEndpoints(
  endpoints: Pick<StackEndpoints, 'kafkaBrokers' | 'registryUrl'>,
  log: (message: string) => void,
  declarations: readonly TopicDeclaration[] = loadTopicDeclarations(),
): Promise<ProvisionResult> {
  const topics = await applyTopics(endpoints.kafkaBrokers, declarations, log);
  if (topics.drift.length > 0) {
    for (const drift of topics.drift) log(`drift: ${describeDrift(drift)}`);
    throw new TopicDriftError(topics.drift);
  }
  log(`topics: ${declarations.length} declared, ${topics.created.length} created, ${topics.reconfigured.length} reconfigured`);
  const schemas = await registerAll(new RegistryClient({ url: endpoints.registryUrl }));
  const added = schemas.filter((s) => s.outcome === 'registered').length;
  log(`schemas: ${schemas.length} event subjects under FULL_TRANSITIVE, ${added} new version${added === 1 ? '' : 's'} registered`);
  return { topics, schemas };
}

/** Provisions the local stack `config` describes; see provisionEndpoints. */
export async function provision(config: StackConfig, log: (message: string) => void): Promise<void> {
  await provisionEndpoints(endpointsOf(config), log);
}
