import fs from 'node:fs';
import type { TestStack } from './test-stack.ts';

/**
 * The Kafka principals Passerelle uses: one per party's adapter (its `kafkaPrincipal` in
 * schemas/parties.json, so any string here), one for the projector, one for administration
 * (topics, ACLs, test set-up). Tests connect as the principal whose rights they need, so
 * broker-level access control is exercised, not bypassed.
 */
export type KafkaPrincipal = 'admin' | 'projector' | (string & {});

export interface KafkaCredentials {
  readonly username: string;
  readonly password: string;
}

export interface TestKafkaOptions {
  readonly clientId: string;
  readonly brokers: readonly string[];
  readonly sasl?: { readonly mechanism: 'scram-sha-512'; readonly username: string; readonly password: string };
  /** TLS verified against the stack's CA, on a SASL_SSL broker; the shape kafkajs and `createKafka` take. */
  readonly ssl?: { readonly ca: string[]; readonly rejectUnauthorized: true };
}

/** What Kafka access needs of a stack: its brokers, on a SASL broker the credentials, on a TLS one its CA. */
export type KafkaStack = Pick<TestStack, 'kafkaCredentials' | 'kafkaCaFile'> & { readonly kafkaBrokers: readonly string[] };

const caPems = new Map<string, string>();

/** The stack's CA certificate(s), read once per file and process. */
function caPemOf(file: string): string {
  let pem = caPems.get(file);
  if (pem === undefined) {
    pem = fs.readFileSync(file, 'utf8');
    caPems.set(file, pem);
  }
  return pem;
}

/** Client options for `createKafka` (or kafkajs directly) as the given principal. */
export function kafkaOptionsFor(stack: KafkaStack, principal: KafkaPrincipal, clientId: string): TestKafkaOptions {
  const credentials = stack.kafkaCredentials?.[principal];
  return {
    clientId,
    brokers: stack.kafkaBrokers,
    ...(credentials ? { sasl: { mechanism: 'scram-sha-512' as const, ...credentials } } : {}),
    ...(stack.kafkaCaFile ? { ssl: { ca: [caPemOf(stack.kafkaCaFile)], rejectUnauthorized: true as const } } : {}),
  };
}

/** Environment for a service process that connects as the given principal. */
export function kafkaEnvFor(stack: KafkaStack, principal: KafkaPrincipal): Record<string, string> {
  const credentials = stack.kafkaCredentials?.[principal];
  return {
    PASSERELLE_KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    ...(credentials ? { PASSERELLE_KAFKA_USERNAME: credentials.username, PASSERELLE_KAFKA_PASSWORD: credentials.password } : {}),
    ...(stack.kafkaCaFile ? { PASSERELLE_KAFKA_CA_FILE: stack.kafkaCaFile } : {}),
  };
}
