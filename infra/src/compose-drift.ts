import { parse } from 'yaml';
import { VERSIONS, type StackConfig } from './config.ts';
import { KAFKA_LOCAL_ONLY_SETTINGS, ZIPKIN_ENVIRONMENT, kafkaBrokerSettings, registryEnvironment } from './parts.ts';

interface ComposeService {
  image?: string;
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
}

interface ComposeFile {
  services?: Record<string, ComposeService>;
}

/** Compose settings that differ from the local stack by design: container addresses. */
const KAFKA_COMPOSE_ONLY = ['KAFKA_LISTENERS', 'KAFKA_ADVERTISED_LISTENERS', 'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP', 'KAFKA_INTER_BROKER_LISTENER_NAME', 'KAFKA_CONTROLLER_QUORUM_VOTERS', 'KAFKA_LOG_DIRS'];

function hostPort(service: ComposeService | undefined): number | undefined {
  const first = service?.ports?.[0];
  if (!first) return undefined;
  const parts = String(first).split(':');
  return Number(parts.length === 3 ? parts[1] : parts[0]);
}

function imageTag(service: ComposeService | undefined): string | undefined {
  return service?.image?.split(':')[1];
}

function env(service: ComposeService | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(service?.environment ?? {}).map(([k, v]) => [k, String(v)]));
}

/**
 * Every difference between docker-compose.yml and the local stack's configuration, one line
 * each; empty when they agree. `config` should carry the defaults (no variables set).
 */
export function composeDrift(composeYaml: string, config: StackConfig): string[] {
  const compose = parse(composeYaml) as ComposeFile;
  const services = compose.services ?? {};
  const drift: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown): void => {
    if (actual !== expected) drift.push(`${what}: compose has ${JSON.stringify(actual)}, the local stack ${JSON.stringify(expected)}`);
  };

  for (const name of ['postgres', 'kafka', 'registry', 'zipkin']) {
    if (!services[name]) drift.push(`service ${name}: missing from compose`);
  }
  const { kafka, registry, zipkin, postgres } = services;

  expect('kafka image version', imageTag(kafka), VERSIONS.kafka);
  expect('registry image version', imageTag(registry), VERSIONS.apicurio);
  expect('zipkin image version', imageTag(zipkin), VERSIONS.zipkin);
  expect('postgres image version', imageTag(postgres), VERSIONS.postgres);

  expect('kafka host port', hostPort(kafka), config.kafka.port);
  expect('registry host port', hostPort(registry), config.registry.port);
  expect('zipkin host port', hostPort(zipkin), config.zipkin.port);
  expect('postgres host port', hostPort(postgres), Number(new URL(config.databaseUrl).port || 5432));

  const kafkaEnv = env(kafka);
  const local = kafkaBrokerSettings(config);
  for (const [key, value] of Object.entries(local)) {
    if (KAFKA_LOCAL_ONLY_SETTINGS.includes(key)) continue;
    expect(`kafka setting ${key}`, kafkaEnv[`KAFKA_${key.toUpperCase().replaceAll('.', '_')}`], value);
  }
  const known = new Set(Object.keys(local).map((key) => `KAFKA_${key.toUpperCase().replaceAll('.', '_')}`));
  for (const key of Object.keys(kafkaEnv)) {
    if (!known.has(key) && !KAFKA_COMPOSE_ONLY.includes(key)) drift.push(`kafka setting ${key}: set in compose, absent from the local stack`);
  }

  const registryEnv = env(registry);
  for (const [key, value] of Object.entries(registryEnvironment(config))) {
    if (key === 'APICURIO_DATASOURCE_URL') {
      expect('registry database', registryEnv[key]?.split('/').pop(), value.split('/').pop());
    } else {
      expect(`registry ${key}`, registryEnv[key], value);
    }
  }

  const zipkinEnv = env(zipkin);
  for (const [key, value] of Object.entries(ZIPKIN_ENVIRONMENT)) expect(`zipkin ${key}`, zipkinEnv[key], value);

  expect('postgres database', env(postgres)['POSTGRES_DB'], new URL(config.databaseUrl).pathname.slice(1));
  return drift;
}
