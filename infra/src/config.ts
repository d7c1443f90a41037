import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import { EnvReader, type EnvSource } from '@passerelle/config';
import { readCredentials, saslOf, type KafkaConnection, type KafkaCredentialMap, type KafkaCredentialSet } from './kafka-credentials.ts';
import { kafkaCaFile, readKafkaCa } from './kafka-tls.ts';

/** Versions of the servers the local stack runs; docker-compose.yml pins the same ones. */
export const VERSIONS = {
  kafka: '4.1.2',
  apicurio: '3.3.3',
  zipkin: '3.6.1',
  keycloak: '26.5.6',
  // io.prometheus.jmx:jmx_prometheus_javaagent: the broker's metrics for Prometheus.
  jmxExporter: '1.0.1',
  // The major version compose runs; the local stack uses the machine's server (14+ works).
  postgres: '15',
} as const;

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface StackConfig {
  readonly home: string;
  readonly logsDir: string;
  readonly host: string;
  readonly javaCommand: string;
  readonly registryJavaCommand: string | undefined;
  readonly readyTimeoutMs: number;
  /**
   * PASSERELLE_INFRA_KAFKA_CA_FILE: the CA to verify a broker this data folder did not make (compose's); its own otherwise.
   * Not the services' PASSERELLE_KAFKA_CA_FILE, which a shell may export for a CLI and `npm start` or the tests must not take for the stack's.
   */
  readonly kafkaCaFile?: string | undefined;
  readonly databaseUrl: string;
  readonly kafka: { readonly port: number; readonly controllerPort: number; readonly heapMb: number; readonly metricsPort: number };
  readonly registry: {
    readonly port: number;
    readonly managementPort: number;
    readonly database: string;
    readonly heapMb: number;
  };
  readonly zipkin: { readonly port: number; readonly heapMb: number };
  readonly keycloak: { readonly port: number; readonly database: string; readonly heapMb: number };
  readonly prometheus: { readonly port: number; readonly intervalSeconds: number };
}

/** Reads the local stack's settings once; every variable is optional and validated. */
export function loadStackConfig(source: EnvSource = process.env): StackConfig {
  const env = new EnvReader(source);
  const home = path.resolve(REPO_ROOT, env.string('PASSERELLE_HOME', '.passerelle'));
  const javaHome = env.optionalString('JAVA_HOME');
  const registryJavaHome = env.optionalString('PASSERELLE_REGISTRY_JAVA_HOME');
  const config: StackConfig = {
    home,
    logsDir: path.join(home, 'logs'),
    host: '127.0.0.1',
    javaCommand: javaHome ? path.join(javaHome, 'bin', 'java') : 'java',
    registryJavaCommand: registryJavaHome ? path.join(registryJavaHome, 'bin', 'java') : undefined,
    readyTimeoutMs: env.integer('PASSERELLE_READY_TIMEOUT_S', 180, { min: 5, max: 1800 }) * 1000,
    kafkaCaFile: env.optionalString('PASSERELLE_INFRA_KAFKA_CA_FILE'),
    databaseUrl: env.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/passerelle', ['postgres:', 'postgresql:']),
    kafka: {
      port: env.port('PASSERELLE_KAFKA_PORT', 9092),
      controllerPort: env.port('PASSERELLE_KAFKA_CONTROLLER_PORT', 9093),
      heapMb: env.integer('PASSERELLE_KAFKA_HEAP_MB', 512, { min: 128 }),
      // The JMX exporter agent's port: the broker's own metrics for Prometheus.
      metricsPort: env.port('PASSERELLE_KAFKA_METRICS_PORT', 9404),
    },
    registry: {
      port: env.port('PASSERELLE_REGISTRY_PORT', 8081),
      managementPort: env.port('PASSERELLE_REGISTRY_MANAGEMENT_PORT', 9001),
      database: env.identifier('PASSERELLE_REGISTRY_DATABASE', 'passerelle_registry'),
      heapMb: env.integer('PASSERELLE_REGISTRY_HEAP_MB', 512, { min: 128 }),
    },
    zipkin: {
      port: env.port('PASSERELLE_ZIPKIN_PORT', 9411),
      heapMb: env.integer('PASSERELLE_ZIPKIN_HEAP_MB', 768, { min: 64 }),
    },
    keycloak: {
      port: env.port('PASSERELLE_KEYCLOAK_PORT', 8180),
      database: env.identifier('PASSERELLE_KEYCLOAK_DATABASE', 'passerelle_keycloak'),
      heapMb: env.integer('PASSERELLE_KEYCLOAK_HEAP_MB', 512, { min: 256 }),
    },
    prometheus: {
      port: env.port('PASSERELLE_PROMETHEUS_PORT', 9090),
      intervalSeconds: env.integer('PASSERELLE_PROMETHEUS_INTERVAL_S', 10, { min: 1, max: 300 }),
    },
  };
  env.done();
  return config;
}

/** Addresses clients use to reach the stack. */
export interface StackEndpoints {
  readonly kafkaBrokers: string[];
  readonly registryUrl: string;
  readonly zipkinUrl: string;
  readonly databaseUrl: string;
  /**
   * SCRAM credentials per principal, from the data folder (generated at the first `up`).
   * Absent for a data folder a PLAINTEXT broker of an earlier version still runs from.
   */
  readonly kafkaCredentials?: KafkaCredentialSet;
  /** The PEM file of the data folder's CA, which signs the broker's certificate (SASL_SSL); absent before TLS. */
  readonly kafkaCaFile?: string;
}

export function endpointsOf(config: StackConfig): StackEndpoints {
  const credentials = readCredentials(config);
  return {
    kafkaBrokers: [`${config.host}:${config.kafka.port}`],
    registryUrl: `http://${config.host}:${config.registry.port}/apis/ccompat/v7`,
    zipkinUrl: `http://${config.host}:${config.zipkin.port}`,
    databaseUrl: config.databaseUrl,
    ...(credentials ? { kafkaCredentials: credentials } : {}),
    ...(config.kafkaCaFile !== undefined
      ? { kafkaCaFile: path.resolve(config.kafkaCaFile) }
      : readKafkaCa(config) !== undefined
        ? { kafkaCaFile: kafkaCaFile(config) }
        : {}),
  };
}

/** How infra's own admin operations (topics, ACLs) reach the broker: as the admin principal, verifying it with the CA. */
export function adminConnectionOf(endpoints: {
  readonly kafkaBrokers: readonly string[];
  readonly kafkaCredentials?: KafkaCredentialMap | undefined;
  readonly kafkaCaFile?: string | undefined;
}): KafkaConnection {
  const ca = endpoints.kafkaCaFile === undefined ? undefined : fs.readFileSync(endpoints.kafkaCaFile, 'utf8');
  return {
    brokers: endpoints.kafkaBrokers,
    sasl: saslOf(endpoints.kafkaCredentials, 'admin'),
    ...(ca === undefined ? {} : { ssl: { ca: [ca], rejectUnauthorized: true as const } }),
  };
}
