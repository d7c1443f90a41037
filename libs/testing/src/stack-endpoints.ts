import path from 'node:path';
import { ConfigError, EnvReader, type EnvSource } from '@passerelle/config';
import { readCredentialsFile } from '@passerelle/infra';
import type { KafkaCredentials, KafkaPrincipal } from './kafka-access.ts';

/** Where the tests find the real stack; handed to every spec through vitest's provide/inject. */
export interface TestStack {
  readonly kafkaBrokers: string[];
  readonly registryUrl: string;
  readonly zipkinUrl: string;
  readonly databaseUrl: string;
  /** SCRAM credentials per principal when the broker requires SASL; absent on a PLAINTEXT broker. */
  readonly kafkaCredentials?: Readonly<Partial<Record<KafkaPrincipal, KafkaCredentials>>>;
}

/**
 * A stack named by the environment, when all of its addresses are set: CI systems with
 * their own Kafka, registry and Zipkin point the tests at them this way. A broker requiring
 * SASL/SCRAM takes PASSERELLE_TEST_KAFKA_CREDENTIALS too: the path of a JSON file shaped like
 * the local stack's `.passerelle/kafka-credentials.json` (`{"principals": {"admin":
 * {"username", "password"}, …}}`, every principal of KafkaPrincipal).
 */
export function stackFromEnvironment(source: EnvSource): TestStack | undefined {
  const named = ['PASSERELLE_KAFKA_BROKERS', 'PASSERELLE_REGISTRY_URL', 'PASSERELLE_ZIPKIN_URL'].filter((v) => source[v]?.trim());
  if (named.length === 0) return undefined;
  const env = new EnvReader(source);
  const stack: TestStack = {
    kafkaBrokers: env.requiredString('PASSERELLE_KAFKA_BROKERS') ? env.hostPorts('PASSERELLE_KAFKA_BROKERS', []) : [],
    registryUrl: env.requiredUrl('PASSERELLE_REGISTRY_URL'),
    zipkinUrl: env.requiredUrl('PASSERELLE_ZIPKIN_URL'),
    databaseUrl: env.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/passerelle', ['postgres:', 'postgresql:']),
  };
  const credentialsPath = env.optionalString('PASSERELLE_TEST_KAFKA_CREDENTIALS');
  env.done();
  if (credentialsPath === undefined) return stack;
  const credentials = readCredentialsFile(path.resolve(credentialsPath));
  if (!credentials) throw new ConfigError([{ variable: 'PASSERELLE_TEST_KAFKA_CREDENTIALS', reason: `names ${credentialsPath}, which does not exist` }]);
  return { ...stack, kafkaCredentials: credentials };
}
