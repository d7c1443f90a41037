import type { TestStack } from './stack-endpoints.ts';

/**
 * The Kafka principals Passerelle uses: one per ministry adapter, one for the projector,
 * one for administration (topics, ACLs, test set-up). Tests connect as the principal whose
 * rights they need, so broker-level access control is exercised, not bypassed.
 */
export type KafkaPrincipal =
  | 'admin'
  | 'projector'
  | 'justice'
  | 'child-welfare'
  | 'health'
  | 'education'
  | 'coordination-office';

export interface KafkaCredentials {
  readonly username: string;
  readonly password: string;
}

export interface TestKafkaOptions {
  readonly clientId: string;
  readonly brokers: readonly string[];
  readonly sasl?: { readonly mechanism: 'scram-sha-512'; readonly username: string; readonly password: string };
}

/** What Kafka access needs of a stack: its brokers and, on a SASL broker, the credentials. */
export type KafkaStack = Pick<TestStack, 'kafkaCredentials'> & { readonly kafkaBrokers: readonly string[] };

/** Client options for `createKafka` (or kafkajs directly) as the given principal. */
export function kafkaOptionsFor(stack: KafkaStack, principal: KafkaPrincipal, clientId: string): TestKafkaOptions {
  const credentials = stack.kafkaCredentials?.[principal];
  return {
    clientId,
    brokers: stack.kafkaBrokers,
    ...(credentials ? { sasl: { mechanism: 'scram-sha-512' as const, ...credentials } } : {}),
  };
}

/** Environment for a service process that connects as the given principal. */
export function kafkaEnvFor(stack: KafkaStack, principal: KafkaPrincipal): Record<string, string> {
  const credentials = stack.kafkaCredentials?.[principal];
  return {
    PASSERELLE_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    ...(credentials ? { PASSERELLE_KAFKA_USERNAME: credentials.username, PASSERELLE_KAFKA_PASSWORD: credentials.password } : {}),
  };
}
