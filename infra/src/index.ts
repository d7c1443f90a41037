export { loadStackConfig, endpointsOf, adminConnectionOf, VERSIONS, REPO_ROOT } from './config.ts';
export type { StackConfig, StackEndpoints } from './config.ts';
export { up, down, status, logFileOf } from './stack.ts';
export type { UpResult, PartStatus, Log } from './stack.ts';
export { PARTS } from './parts.ts';
export type { PartName } from './parts.ts';
export { StackError, PortInUseError, NotReadyError, PrerequisiteError, ArtifactError } from './errors.ts';
export { composeDrift } from './compose-drift.ts';
export { kafkaBrokerSettings, registryEnvironment, ZIPKIN_ENVIRONMENT } from './parts.ts';
export { provision, provisionEndpoints } from './provision.ts';
export type { ProvisionResult } from './provision.ts';
export {
  applyTopics,
  checkTopics,
  diffTopics,
  describeDrift,
  loadTopicDeclarations,
  parseTopicDeclarations,
  TopicDeclarationError,
  TopicDriftError,
  TOPICS_FILE,
  DECLARED_CONFIGS,
} from './topics.ts';
export type { TopicDeclaration, TopicDrift, ObservedTopic, ApplyResult, DeclaredConfig } from './topics.ts';
export {
  ACLS_FILE,
  applyAcls,
  checkAcls,
  diffAcls,
  hasAclDrift,
  describeAclDrift,
  describeBinding,
  describeAllAcls,
  loadAclDeclarations,
  parseAclDeclarations,
  AclDeclarationError,
  AclDriftError,
} from './acls.ts';
export type { AclBinding, AclDrift, AclApplyResult } from './acls.ts';
export {
  aclsDocument,
  composeWithParties,
  generatePartyArtifacts,
  partiesCommand,
  partyArtifactDrift,
  partyArtifacts,
  topicsDocument,
} from './party-artifacts.ts';
export {
  KAFKA_PRINCIPALS,
  SERVICE_PRINCIPALS,
  kafkaPrincipals,
  ministryPrincipals,
  credentialOf,
  credentialsFile,
  readCredentials,
  readCredentialsFile,
  ensureCredentials,
  saslOf,
} from './kafka-credentials.ts';
export type {
  KafkaPrincipalName,
  KafkaCredential,
  KafkaCredentialSet,
  KafkaCredentialMap,
  KafkaSasl,
  KafkaConnection,
} from './kafka-credentials.ts';
export { ensureChromium, locateChromium, requireChromium, CHROMIUM_PACKAGE } from './browser.ts';
export type { ChromiumLocation, EnsureChromiumOptions } from './browser.ts';
export { identityOf, keycloakEnvironment, keycloakUrl, provisionKeycloak, provisionRealm } from './keycloak.ts';
export type { IdentityEndpoint, RealmProvisionResult } from './keycloak.ts';
export { keycloakCredentialsFile, readKeycloakCredentials, ensureKeycloakCredentials } from './keycloak-credentials.ts';
export type { KeycloakCredentials } from './keycloak-credentials.ts';
export {
  clientRepresentations,
  credentialNames,
  developmentUsers,
  loadRealmDocument,
  ministryClientId,
  REALM_FILE,
} from './keycloak-realm.ts';
export type { PlannedUser, RealmDocument } from './keycloak-realm.ts';
export { testStackParts } from './test-stack/test-parts.ts';
export { prometheusUrl } from './prometheus-part.ts';
export {
  ALERT_RULES_FILE,
  ALERT_TESTS_FILE,
  checkAlertRules,
  prometheusConfiguration,
  resolvePrometheus,
  writeTargets,
  type ScrapeTarget,
} from './prometheus.ts';
