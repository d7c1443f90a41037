import { registerAll, RegistryClient, type RegistrationResult } from '@passerelle/contracts';
import {
  AclDriftError,
  applyAcls,
  describeAclDrift,
  hasAclDrift,
  loadAclDeclarations,
  type AclApplyResult,
  type AclBinding,
} from './acls.ts';
import type { KafkaCredentialMap } from './kafka-credentials.ts';
import { adminConnectionOf, endpointsOf, type StackConfig, type StackEndpoints } from './config.ts';
import { provisionKeycloak } from './keycloak.ts';
import { applyTopics, describeDrift, loadTopicDeclarations, TopicDriftError, type ApplyResult, type TopicDeclaration } from './topics.ts';

export interface ProvisionResult {
  readonly topics: ApplyResult;
  /** Absent on a broker without SCRAM credentials (a PLAINTEXT data folder from before SASL). */
  readonly acls?: AclApplyResult;
  readonly schemas: readonly RegistrationResult[];
}

/**
 * Makes a running stack ready for Passerelle: every declared topic exists with its declared
 * config, the broker's ACLs are exactly the declared ones, and every event schema is registered under FULL_TRANSITIVE. Idempotent, so
 * `npm start` and `npm test` call it after `up` every time. Fails on drift it will not fix
 * (partition counts, replication factors) and on a schema the registry finds incompatible.
 */
export async function provisionEndpoints(
  endpoints: Pick<StackEndpoints, 'kafkaBrokers' | 'registryUrl'> & { readonly kafkaCredentials?: KafkaCredentialMap | undefined },
  log: (message: string) => void,
  declarations: readonly TopicDeclaration[] = loadTopicDeclarations(),
  aclDeclarations: readonly AclBinding[] = loadAclDeclarations(),
): Promise<ProvisionResult> {
  const connection = adminConnectionOf(endpoints);
  const topics = await applyTopics(connection, declarations, log);
  if (topics.drift.length > 0) {
    for (const drift of topics.drift) log(`drift: ${describeDrift(drift)}`);
    throw new TopicDriftError(topics.drift);
  }
  log(`topics: ${declarations.length} declared, ${topics.created.length} created, ${topics.reconfigured.length} reconfigured`);
  let acls: AclApplyResult | undefined;
  if (connection.sasl) {
    acls = await applyAcls(connection, aclDeclarations, log);
    if (hasAclDrift(acls.drift)) {
      for (const line of describeAclDrift(acls.drift)) log(`drift: ${line}`);
      throw new AclDriftError(acls.drift);
    }
    log(`acls: ${aclDeclarations.length} bindings declared, ${acls.created.length} added, ${acls.deleted.length} removed`);
  } else {
    log('acls: skipped, this broker has no SCRAM credentials (a PLAINTEXT data folder: `infra down` then `infra up` upgrades it)');
  }
  const schemas = await registerAll(new RegistryClient({ url: endpoints.registryUrl }));
  const added = schemas.filter((s) => s.outcome === 'registered').length;
  log(`schemas: ${schemas.length} event subjects under FULL_TRANSITIVE, ${added} new version${added === 1 ? '' : 's'} registered`);
  return { topics, ...(acls ? { acls } : {}), schemas };
}

/** Provisions the local stack `config` describes (see provisionEndpoints), then applies Keycloak's realm when it runs. */
export async function provision(config: StackConfig, log: (message: string) => void): Promise<void> {
  await provisionEndpoints(endpointsOf(config), log);
  await provisionKeycloak(config, log);
}
