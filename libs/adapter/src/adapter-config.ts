import { ConfigError, EnvReader, type ConfigProblem, type EnvSource } from '@passerelle/config';
import { kafkaSaslFrom, type KafkaSasl } from '@passerelle/kafka';
import { readHttpLimits, type HttpLimits } from '@passerelle/http';

/** Shortest accepted secret: 32 characters, so a token or key cannot be a short guessable word. */
export const MIN_SECRET_LENGTH = 32;

const POSTGRES = ['postgres:', 'postgresql:'] as const;

/** Everything an adapter reads from its environment, parsed and validated once at start. */
export interface AdapterConfig {
  readonly port: number;
  readonly databaseUrl: string;
  /**
   * Where migrations run (PASSERELLE_MIGRATION_DATABASE_URL): the migrator role, the only one
   * allowed DDL; DATABASE_URL when absent. Everything else runs on `databaseUrl`.
   */
  readonly migrationDatabaseUrl?: string;
  /** PostgreSQL schema holding this adapter's tables (outbox, idempotency, source ids). */
  readonly databaseSchema: string;
  readonly kafkaBrokers: readonly string[];
  /** The ministry principal's SCRAM credentials; absent for a broker without SASL. */
  readonly kafkaSasl?: KafkaSasl | undefined;
  readonly registryUrl: string;
  /** The bearer token the ministry's systems present. */
  readonly ministryToken: string;
  /** The HMAC key of this ministry's pseudonyms and hashed source ids. */
  readonly pseudonymKey: string;
  readonly logLevel: string;
  /** Rate limit and request deadline of the HTTP API; the library defaults when absent. */
  readonly http?: HttpLimits;
}

export interface AdapterConfigDefaults {
  readonly port: number;
  readonly databaseSchema: string;
}

/**
 * Reads PORT, DATABASE_URL, PASSERELLE_MIGRATION_DATABASE_URL, PASSERELLE_DB_SCHEMA, PASSERELLE_KAFKA_BROKERS,
 * PASSERELLE_KAFKA_USERNAME and PASSERELLE_KAFKA_PASSWORD (both or neither), PASSERELLE_REGISTRY_URL, PASSERELLE_MINISTRY_TOKEN, PASSERELLE_PSEUDONYM_KEY and LOG_LEVEL.
 * The token and the key have no default: an adapter without them refuses to start rather than
 * run open or publish unkeyed pseudonyms. Throws one ConfigError naming every bad variable.
 */
export function loadAdapterConfig(source: EnvSource, defaults: AdapterConfigDefaults): AdapterConfig {
  const env = new EnvReader(source);
  const kafkaAuth = kafkaSaslFrom(env.optionalString('PASSERELLE_KAFKA_USERNAME'), env.optionalString('PASSERELLE_KAFKA_PASSWORD'));
  const databaseUrl = env.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/passerelle', POSTGRES);
  const config: AdapterConfig = {
    port: env.port('PORT', defaults.port),
    databaseUrl,
    migrationDatabaseUrl: env.url('PASSERELLE_MIGRATION_DATABASE_URL', databaseUrl, POSTGRES),
    databaseSchema: env.identifier('PASSERELLE_DB_SCHEMA', defaults.databaseSchema),
    kafkaBrokers: env.hostPorts('PASSERELLE_KAFKA_BROKERS', ['127.0.0.1:9092']),
    ...(kafkaAuth.sasl ? { kafkaSasl: kafkaAuth.sasl } : {}),
    registryUrl: env.url('PASSERELLE_REGISTRY_URL', 'http://127.0.0.1:8081/apis/ccompat/v7'),
    ministryToken: env.requiredString('PASSERELLE_MINISTRY_TOKEN', { minLength: MIN_SECRET_LENGTH }),
    pseudonymKey: env.requiredString('PASSERELLE_PSEUDONYM_KEY', { minLength: MIN_SECRET_LENGTH }),
    logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    http: readHttpLimits(env),
  };
  const problems: ConfigProblem[] = [];
  try {
    env.done();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (kafkaAuth.problem) problems.push(kafkaAuth.problem);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
