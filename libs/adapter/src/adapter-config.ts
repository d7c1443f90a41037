import { ConfigError, EnvReader, productionProblems, readEnvironment, type ConfigProblem, type EnvSource } from '@passerelle/config';
import {
  KEY_ENCRYPTION_KEY_VARIABLE,
  keyEncryptionKeyFromEnv,
  partyOf,
  type KeyEncryptionKey,
  type TopicOwner,
} from '@passerelle/contracts';
import { KAFKA_CA_FILE_VARIABLE, kafkaSaslFrom, kafkaTlsFrom, type KafkaSasl, type KafkaTls } from '@passerelle/kafka';
import { readHttpLimits, readMetricsToken, type HttpLimits } from '@passerelle/http';
import type { OAuthSettings } from './access-token.ts';

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
  /** The broker's CA from PASSERELLE_KAFKA_CA_FILE (SASL_SSL); absent for a plaintext listener. */
  readonly kafkaTls?: KafkaTls | undefined;
  readonly registryUrl: string;
  /**
   * A static bearer token the ministry's systems may present: a development convenience, refused
   * when PASSERELLE_ENVIRONMENT is production.
   */
  readonly ministryToken?: string | undefined;
  /** OAuth2 access tokens from the identity provider (PASSERELLE_OAUTH_ISSUER); absent, only the static token opens the door. */
  readonly oauth?: OAuthSettings | undefined;
  /** The HMAC key of this ministry's pseudonyms and hashed source ids. */
  readonly pseudonymKey: string;
  /**
   * The key-encryption key (PASSERELLE_KEY_ENCRYPTION_KEY, 64 hex digits) the referrals' data keys
   * are wrapped under in the key store; the same one for every adapter, the projector and the view API.
   */
  readonly keyEncryptionKey: KeyEncryptionKey;
  readonly logLevel: string;
  /** Rate limit and request deadline of the HTTP API; the library defaults when absent. */
  readonly http?: HttpLimits;
  /** The bearer token /metrics asks for (PASSERELLE_METRICS_TOKEN_FILE); open without one, development only. */
  readonly metricsToken?: string | undefined;
}

export interface AdapterConfigDefaults {
  readonly port: number;
  readonly databaseSchema: string;
  /** The audience its access tokens must name: the adapter's client id at the provider, its service name. */
  readonly oauthAudience?: string;
}

/**
 * Reads PORT, DATABASE_URL, PASSERELLE_MIGRATION_DATABASE_URL, PASSERELLE_DB_SCHEMA, PASSERELLE_KAFKA_BROKERS,
 * PASSERELLE_KAFKA_USERNAME and PASSERELLE_KAFKA_PASSWORD (both or neither), PASSERELLE_KAFKA_CA_FILE, PASSERELLE_REGISTRY_URL, PASSERELLE_MINISTRY_TOKEN,
 * PASSERELLE_PSEUDONYM_KEY, PASSERELLE_KEY_ENCRYPTION_KEY, PASSERELLE_OAUTH_ISSUER, PASSERELLE_OAUTH_JWKS_URL,
 * PASSERELLE_OAUTH_AUDIENCE, PASSERELLE_OAUTH_CLOCK_TOLERANCE_S, PASSERELLE_METRICS_TOKEN_FILE, PASSERELLE_ENVIRONMENT and LOG_LEVEL.
 * In production (docs/production.md) static tokens, Kafka without SASL_SSL, the PostgreSQL superuser, an identity
 * provider over plain HTTP and an open /metrics are refused too.
 * The credential (an issuer, or outside production a static token) and the keys have no default: an adapter without
 * them refuses to start rather than run open, publish unkeyed pseudonyms or leave a subject unsealed. Throws one
 * ConfigError naming every bad variable.
 */
export function loadAdapterConfig(source: EnvSource, defaults: AdapterConfigDefaults): AdapterConfig {
  const env = new EnvReader(source);
  const kafkaAuth = kafkaSaslFrom(env.optionalString('PASSERELLE_KAFKA_USERNAME'), env.optionalString('PASSERELLE_KAFKA_PASSWORD'));
  const kafkaTls = kafkaTlsFrom(env.optionalFile(KAFKA_CA_FILE_VARIABLE));
  const databaseUrl = env.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/passerelle', POSTGRES);
  const kek = keyEncryptionKeyFromEnv(env.optionalString(KEY_ENCRYPTION_KEY_VARIABLE));
  const production = readEnvironment(env) === 'production';
  const metricsToken = readMetricsToken(env);
  const oauth = oauthSettings(env, defaults);
  const hasToken = env.optionalString('PASSERELLE_MINISTRY_TOKEN') !== undefined;
  if (production && hasToken)
    env.reject(
      'PASSERELLE_MINISTRY_TOKEN',
      'static bearer tokens are for development only; in production the adapter takes OAuth2 access tokens',
    );
  if (production && !oauth) env.reject('PASSERELLE_OAUTH_ISSUER', 'is required in production (PASSERELLE_ENVIRONMENT=production)');
  // Outside production: the static token, the issuer, or both; with neither, the token is what is missing.
  const ministryToken =
    hasToken || (!production && !oauth) ? env.requiredString('PASSERELLE_MINISTRY_TOKEN', { minLength: MIN_SECRET_LENGTH }) : undefined;
  const config: Omit<AdapterConfig, 'keyEncryptionKey'> = {
    port: env.port('PORT', defaults.port),
    databaseUrl,
    migrationDatabaseUrl: env.url('PASSERELLE_MIGRATION_DATABASE_URL', databaseUrl, POSTGRES),
    databaseSchema: env.identifier('PASSERELLE_DB_SCHEMA', defaults.databaseSchema),
    kafkaBrokers: env.hostPorts('PASSERELLE_KAFKA_BROKERS', ['127.0.0.1:9092']),
    ...(kafkaAuth.sasl ? { kafkaSasl: kafkaAuth.sasl } : {}),
    ...(kafkaTls.tls ? { kafkaTls: kafkaTls.tls } : {}),
    registryUrl: env.url('PASSERELLE_REGISTRY_URL', 'http://127.0.0.1:8081/apis/ccompat/v7'),
    ...(ministryToken !== undefined && !production ? { ministryToken } : {}),
    ...(oauth ? { oauth } : {}),
    pseudonymKey: env.requiredString('PASSERELLE_PSEUDONYM_KEY', { minLength: MIN_SECRET_LENGTH }),
    logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    http: readHttpLimits(env),
    ...(metricsToken === undefined ? {} : { metricsToken }),
  };
  if ('problem' in kek) env.reject(kek.problem.variable, kek.problem.reason);
  const problems: ConfigProblem[] = [];
  try {
    env.done();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (kafkaAuth.problem) problems.push(kafkaAuth.problem);
  if (kafkaTls.problem) problems.push(kafkaTls.problem);
  if (production)
    problems.push(
      ...productionProblems({
        kafka: { sasl: kafkaAuth.sasl !== undefined, tls: kafkaTls.tls !== undefined },
        databases: {
          DATABASE_URL: databaseUrl,
          PASSERELLE_MIGRATION_DATABASE_URL: env.optionalString('PASSERELLE_MIGRATION_DATABASE_URL'),
        },
        identityProvider: { PASSERELLE_OAUTH_ISSUER: oauth?.issuer, PASSERELLE_OAUTH_JWKS_URL: oauth?.jwksUrl },
        metricsProtected: metricsToken !== undefined,
      }),
    );
  if (problems.length > 0 || !('kek' in kek)) throw new ConfigError(problems);
  return { ...config, keyEncryptionKey: kek.kek };
}

/** The OAuth2 settings when PASSERELLE_OAUTH_ISSUER is set; the JWKS URL defaults to Keycloak's place under the issuer. */
function oauthSettings(env: EnvReader, defaults: AdapterConfigDefaults): OAuthSettings | undefined {
  const issuer = env.optionalString('PASSERELLE_OAUTH_ISSUER');
  if (issuer === undefined) return undefined;
  const audience = env.optionalString('PASSERELLE_OAUTH_AUDIENCE') ?? defaults.oauthAudience;
  if (audience === undefined) env.reject('PASSERELLE_OAUTH_AUDIENCE', 'is required with PASSERELLE_OAUTH_ISSUER');
  return {
    issuer: env.requiredUrl('PASSERELLE_OAUTH_ISSUER'),
    jwksUrl: env.url('PASSERELLE_OAUTH_JWKS_URL', `${issuer.replace(/\/+$/, '')}/protocol/openid-connect/certs`),
    audience: audience ?? '',
    clockToleranceSeconds: env.integer('PASSERELLE_OAUTH_CLOCK_TOLERANCE_S', 30, { min: 0, max: 300 }),
  };
}

/**
 * What an adapter takes from the party registry (schemas/parties.json): its service name (logs,
 * metrics, traces), its ministry, and its default port and database schema.
 */
export function adapterPartyOf(id: TopicOwner): {
  readonly service: string;
  readonly ministry: TopicOwner;
  readonly defaults: AdapterConfigDefaults;
} {
  const { adapter } = partyOf(id);
  return {
    service: adapter.service,
    ministry: id,
    defaults: { port: adapter.port, databaseSchema: adapter.databaseSchema, oauthAudience: adapter.service },
  };
}
