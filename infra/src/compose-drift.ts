import { parse } from 'yaml';
import { VERSIONS, type StackConfig } from './config.ts';
import { keycloakEnvironment } from './keycloak.ts';
import { KAFKA_LOCAL_ONLY_SETTINGS, ZIPKIN_ENVIRONMENT, kafkaBrokerSettings, registryEnvironment } from './parts.ts';

interface ComposeService {
  image?: string;
  command?: string | string[];
  working_dir?: string;
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
}

interface ComposeFile {
  services?: Record<string, ComposeService>;
}

/**
 * Compose settings that differ from the local stack by design: container addresses, and the
 * listeners' SCRAM logins (named after compose's listeners; the local stack writes its own,
 * with the generated admin password, into server.properties).
 */
const KAFKA_COMPOSE_ONLY = [
  'KAFKA_LISTENERS',
  'KAFKA_ADVERTISED_LISTENERS',
  'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP',
  'KAFKA_INTER_BROKER_LISTENER_NAME',
  'KAFKA_CONTROLLER_QUORUM_VOTERS',
  'KAFKA_LOG_DIRS',
  'KAFKA_LISTENER_NAME_INTERNAL_SCRAM___SHA___512_SASL_JAAS_CONFIG',
  'KAFKA_LISTENER_NAME_HOST_SCRAM___SHA___512_SASL_JAAS_CONFIG',
  // The TLS stores' password: compose takes it from the shell, the local stack generates its own.
  'KAFKA_SSL_KEYSTORE_PASSWORD',
  'KAFKA_SSL_KEY_PASSWORD',
  'KAFKA_SSL_TRUSTSTORE_PASSWORD',
  // The image's own variable (not a broker setting): the id kafka-format formatted the volume with.
  'CLUSTER_ID',
];

/** Every compose listener but the controller's is SASL_SSL, as the local stack's client listener is. */
function kafkaListenerDrift(kafkaEnv: Record<string, string>): string[] {
  const drift: string[] = [];
  const map = Object.fromEntries(
    (kafkaEnv['KAFKA_LISTENER_SECURITY_PROTOCOL_MAP'] ?? '').split(',').map((entry) => entry.split(':') as [string, string]),
  );
  for (const [listener, protocol] of Object.entries(map)) {
    if (listener === 'CONTROLLER') continue;
    if (protocol !== 'SASL_SSL') drift.push(`kafka listener ${listener}: compose has ${protocol}, the local stack requires SASL_SSL`);
    const jaas = kafkaEnv[`KAFKA_LISTENER_NAME_${listener}_SCRAM___SHA___512_SASL_JAAS_CONFIG`];
    if (!jaas?.startsWith('org.apache.kafka.common.security.scram.ScramLoginModule required'))
      drift.push(
        `kafka listener ${listener}: compose has no SCRAM-SHA-512 login (KAFKA_LISTENER_NAME_${listener}_SCRAM___SHA___512_SASL_JAAS_CONFIG)`,
      );
  }
  if (Object.keys(map).length === 0) drift.push('kafka setting KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: missing from compose');
  return drift;
}

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

/** A compose service that runs one of the repository's services (`services/<name>`). */
function runsAppService(service: ComposeService): boolean {
  const command = Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');
  return `${service.working_dir ?? ''} ${command}`.includes('services/');
}

/**
 * Every application service exports its traces to the stack's Zipkin, as `npm start` sets it
 * up: OTEL_TRACES_EXPORTER=zipkin and an endpoint on Zipkin's port at /api/v2/spans.
 */
function tracingDrift(services: Record<string, ComposeService>, config: StackConfig): string[] {
  const drift: string[] = [];
  for (const [name, service] of Object.entries(services)) {
    if (!runsAppService(service)) continue;
    const vars = env(service);
    if (vars['OTEL_TRACES_EXPORTER'] !== 'zipkin')
      drift.push(`${name} OTEL_TRACES_EXPORTER: compose has ${JSON.stringify(vars['OTEL_TRACES_EXPORTER'])}, npm start "zipkin"`);
    let endpoint: URL | undefined;
    try {
      endpoint = new URL(vars['OTEL_EXPORTER_ZIPKIN_ENDPOINT'] ?? '');
    } catch {
      endpoint = undefined;
    }
    const port = endpoint ? Number(endpoint.port || 80) : undefined;
    if (!endpoint || endpoint.pathname !== '/api/v2/spans' || (port !== config.zipkin.port && port !== 9411)) {
      drift.push(
        `${name} OTEL_EXPORTER_ZIPKIN_ENDPOINT: compose has ${JSON.stringify(vars['OTEL_EXPORTER_ZIPKIN_ENDPOINT'])}, expected Zipkin's /api/v2/spans on port ${config.zipkin.port}`,
      );
    }
  }
  return drift;
}

/**
 * The secrets a service refuses to start without, which `npm start` hands it from
 * .passerelle/secrets.json (scripts/start.ts).
 */
function requiredSecrets(service: string): string[] {
  if (service.startsWith('adapter-')) return ['PASSERELLE_MINISTRY_TOKEN', 'PASSERELLE_PSEUDONYM_KEY', 'PASSERELLE_KEY_ENCRYPTION_KEY'];
  if (service === 'projector') return ['PASSERELLE_RECORD_KEY_SECRET', 'PASSERELLE_KEY_ENCRYPTION_KEY'];
  if (service === 'view-api') return ['PASSERELLE_JWT_SECRET', 'PASSERELLE_AUDIT_HMAC_KEY', 'PASSERELLE_KEY_ENCRYPTION_KEY'];
  return [];
}

/** Every application service gets each of its secrets from the shell or .env (`${VARIABLE…}`), never a value written in compose. */
function secretDrift(services: Record<string, ComposeService>): string[] {
  const drift: string[] = [];
  for (const [name, service] of Object.entries(services)) {
    if (!runsAppService(service)) continue;
    const vars = env(service);
    for (const secret of requiredSecrets(name)) {
      const value = vars[secret];
      if (value === undefined) drift.push(`${name} ${secret}: missing from compose, npm start passes it`);
      else if (!/^\$\{[A-Z][A-Z0-9_]*(:?[-?][^}]*)?\}$/.test(value))
        drift.push(`${name} ${secret}: compose writes a value, it must come from the shell or .env (\${…})`);
    }
  }
  return drift;
}

/**
 * Every difference between docker-compose.yml and the local stack's configuration, one line
 * each; empty when they agree. `config` should carry the defaults (no variables set).
 */
export function composeDrift(composeYaml: string, config: StackConfig): string[] {
  // Merge keys (`<<: *otel`) are how the services share their tracing settings.
  const compose = parse(composeYaml, { merge: true }) as ComposeFile;
  const services = compose.services ?? {};
  const drift: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown): void => {
    if (actual !== expected) drift.push(`${what}: compose has ${JSON.stringify(actual)}, the local stack ${JSON.stringify(expected)}`);
  };

  for (const name of ['postgres', 'kafka', 'registry', 'zipkin', 'keycloak']) {
    if (!services[name]) drift.push(`service ${name}: missing from compose`);
  }
  const { kafka, registry, zipkin, postgres, keycloak } = services;

  expect('kafka image version', imageTag(kafka), VERSIONS.kafka);
  expect('registry image version', imageTag(registry), VERSIONS.apicurio);
  expect('zipkin image version', imageTag(zipkin), VERSIONS.zipkin);
  expect('keycloak image version', imageTag(keycloak), VERSIONS.keycloak);
  expect('postgres image version', imageTag(postgres), VERSIONS.postgres);

  expect('kafka host port', hostPort(kafka), config.kafka.port);
  expect('registry host port', hostPort(registry), config.registry.port);
  expect('zipkin host port', hostPort(zipkin), config.zipkin.port);
  expect('keycloak host port', hostPort(keycloak), config.keycloak.port);
  expect('postgres host port', hostPort(postgres), Number(new URL(config.databaseUrl).port || 5432));

  const kafkaEnv = env(kafka);
  const local = kafkaBrokerSettings(config);
  for (const [key, value] of Object.entries(local)) {
    if (KAFKA_LOCAL_ONLY_SETTINGS.includes(key)) continue;
    expect(`kafka setting ${key}`, kafkaEnv[`KAFKA_${key.toUpperCase().replaceAll('.', '_')}`], value);
  }
  const known = new Set(Object.keys(local).map((key) => `KAFKA_${key.toUpperCase().replaceAll('.', '_')}`));
  for (const key of Object.keys(kafkaEnv)) {
    if (!known.has(key) && !KAFKA_COMPOSE_ONLY.includes(key))
      drift.push(`kafka setting ${key}: set in compose, absent from the local stack`);
  }

  drift.push(...kafkaListenerDrift(kafkaEnv));

  const registryEnv = env(registry);
  for (const [key, value] of Object.entries(registryEnvironment(config))) {
    if (key === 'APICURIO_DATASOURCE_URL') {
      expect('registry database', registryEnv[key]?.split('/').pop(), value.split('/').pop());
    } else {
      expect(`registry ${key}`, registryEnv[key], value);
    }
  }

  const keycloakEnv = env(keycloak);
  for (const [key, value] of Object.entries(keycloakEnvironment(config))) {
    if (key === 'KC_DB_URL') expect('keycloak database', keycloakEnv[key]?.split('/').pop(), value.split('/').pop());
    else expect(`keycloak ${key}`, keycloakEnv[key], value);
  }

  const zipkinEnv = env(zipkin);
  for (const [key, value] of Object.entries(ZIPKIN_ENVIRONMENT)) expect(`zipkin ${key}`, zipkinEnv[key], value);

  expect('postgres database', env(postgres)['POSTGRES_DB'], new URL(config.databaseUrl).pathname.slice(1));
  drift.push(...tracingDrift(services, config));
  drift.push(...secretDrift(services));
  return drift;
}
