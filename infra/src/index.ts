export { loadStackConfig, endpointsOf, adminConnectionOf, VERSIONS, REPO_ROOT } from './config.ts';
export type { StackConfig, StackEndpoints } from './config.ts';
export { up, down, status, logFileOf } from './stack.ts';
export type { UpResult, PartStatus, Log } from './stack.ts';
export { PARTS } from './parts.ts';
export type { PartName } from './parts.ts';
export { StackError, PortInUseError, NotReadyError, PrerequisiteError, ArtifactError } from './errors.ts';
export { ensureDatabase, dropDatabase, withDatabase, databaseName } from './postgres.ts';
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
  KAFKA_PRINCIPALS,
  MINISTRY_PRINCIPALS,
  credentialsFile,
  readCredentials,
  readCredentialsFile,
  ensureCredentials,
  saslOf,
} from './kafka-credentials.ts';
export type { KafkaPrincipalName, KafkaCredential, KafkaCredentialSet, KafkaCredentialMap, KafkaSasl, KafkaConnection } from './kafka-credentials.ts';
export { ensureChromium, locateChromium, requireChromium, CHROMIUM_PACKAGE } from './browser.ts';
export type { ChromiumLocation, EnsureChromiumOptions } from './browser.ts';
