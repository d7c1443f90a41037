export { stackFromEnvironment } from './stack-endpoints.ts';
export type { TestStack } from './stack-endpoints.ts';
export { createTestDatabase, uniqueName, uniqueSuffix } from './test-resources.ts';
export type { TestDatabase } from './test-resources.ts';
export { kafkaEnvFor, kafkaOptionsFor } from './kafka-access.ts';
export type { KafkaCredentials, KafkaPrincipal, KafkaStack, TestKafkaOptions } from './kafka-access.ts';
export { seededRandom } from './random.ts';
