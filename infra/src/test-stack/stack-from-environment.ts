import path from 'node:path';
import { ConfigError, EnvReader, type EnvSource } from '@passerelle/config';
import type { TestStack } from '@passerelle/testing';
import { readCredentialsFile } from '../kafka-credentials.ts';

/**
 * A stack named by the environment, when all of its addresses are set: CI systems with
 * their own Kafka, registry and Zipkin point the tests at them this way. A broker requiring
 * SASL/SCRAM takes PASSERELLE_TEST_KAFKA_CREDENTIALS too: the path of a JSON file shaped like
 * the local stack's `.passerelle/kafka-credentials.json` (`{"principals": {"admin":
 * {"username", "password"}, …}}`, every principal of KafkaPrincipal). A SASL_SSL broker takes
 * PASSERELLE_KAFKA_CA_FILE, the PEM of the CA its certificate chains to.
 */
export function stackFromEnvironment(source: EnvSource): TestStack | undefined {
  const named = ['PASSERELLE_KAFKA_BROKERS', 'PASSERELLE_REGISTRY_URL', 'PASSERELLE_ZIPKIN_URL'].filter((v) => source[v]?.trim());
  if (named.length === 0) return undefined;
  const env = new EnvReader(source);
  let stack: TestStack = {
    kafkaBrokers: env.requiredString('PASSERELLE_KAFKA_BROKERS') ? env.hostPorts('PASSERELLE_KAFKA_BROKERS', []) : [],
    registryUrl: env.requiredUrl('PASSERELLE_REGISTRY_URL'),
    zipkinUrl: env.requiredUrl('PASSERELLE_ZIPKIN_URL'),
    databaseUrl: env.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/passerelle', ['postgres:', 'postgresql:']),
  };
  const credentialsPath = env.optionalString('PASSERELLE_TEST_KAFKA_CREDENTIALS');
  // A SASL_SSL broker: the CA file its certificate chains to, as the services take it.
  const caFile = env.optionalString('PASSERELLE_KAFKA_CA_FILE');
  if (caFile !== undefined) env.optionalFile('PASSERELLE_KAFKA_CA_FILE');
  env.done();
  if (caFile !== undefined) stack = { ...stack, kafkaCaFile: path.resolve(caFile) };
  if (credentialsPath === undefined) return stack;
  const credentials = readCredentialsFile(path.resolve(credentialsPath));
  if (!credentials)
    throw new ConfigError([{ variable: 'PASSERELLE_TEST_KAFKA_CREDENTIALS', reason: `names ${credentialsPath}, which does not exist` }]);
  return { ...stack, kafkaCredentials: credentials };
}
