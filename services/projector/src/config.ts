import { ConfigError, EnvReader, productionProblems, readEnvironment, type ConfigProblem, type EnvSource } from '@passerelle/config';
import {
  DEAD_LETTER_TOPIC,
  KEY_ENCRYPTION_KEY_VARIABLE,
  KeyEncryptionKey,
  keyEncryptionKeyFromEnv,
  MINISTRY_TOPIC_PREFIXES,
} from '@passerelle/contracts';
import { readMetricsToken } from '@passerelle/http';
import { KAFKA_CA_FILE_VARIABLE, kafkaSaslFrom, kafkaTlsFrom, type KafkaSasl, type KafkaTls } from '@passerelle/kafka';

/** Every ministry topic of contract generation v1: `<ministry prefix>.<family>.v1`. */
export const DEFAULT_TOPIC_PATTERN = `^(${Object.values(MINISTRY_TOPIC_PREFIXES).join('|')})\\.[a-z][a-z-]*\\.v1$`;

/** Shortest accepted secret, as for the adapters' keys: 32 characters, never a short guessable word. */
const MIN_SECRET_LENGTH = 32;

export interface ProjectorConfig {
  readonly port: number;
  readonly databaseUrl: string;
  /**
   * PASSERELLE_MIGRATION_DATABASE_URL (DATABASE_URL when absent): the migrator role, which runs the
   * view's migrations and every rebuild (it creates, renames and drops schemas); the projector's
   * own role on `databaseUrl` only reads and writes the view's rows.
   */
  readonly migrationDatabaseUrl?: string;
  /** PostgreSQL schema holding the view (a rebuild builds a fresh one, then takes this name). */
  readonly viewSchema: string;
  readonly kafkaBrokers: readonly string[];
  /** The projector principal's SCRAM credentials (PASSERELLE_KAFKA_USERNAME/PASSWORD); absent without SASL. */
  readonly kafkaSasl?: KafkaSasl | undefined;
  /** The broker's CA from PASSERELLE_KAFKA_CA_FILE (SASL_SSL); absent for a plaintext listener. */
  readonly kafkaTls?: KafkaTls | undefined;
  readonly registryUrl: string;
  /**
   * The HMAC key of the referrals' record keys (PASSERELLE_RECORD_KEY_SECRET, required). The view
   * keeps its fingerprint: another secret is refused until `projector rekey --confirm`.
   */
  readonly recordKeySecret: string;
  /**
   * PASSERELLE_KEY_ENCRYPTION_KEY (required, 64 hex digits): unwraps the per-referral data keys of
   * the key store, to open sealed subjects, and names the tombstones of destroyed ones. Never stored.
   */
  readonly keyEncryptionKey: KeyEncryptionKey;
  readonly consumerGroup: string;
  readonly topicPattern: RegExp;
  readonly deadLetterTopic: string;
  readonly logLevel: string;
  /** How often the topic list is checked for new topics matching the pattern. */
  readonly topicRefreshMs: number;
  /** Messages per PostgreSQL transaction within a Kafka batch. */
  readonly chunkSize: number;
  readonly partitionsConsumedConcurrently: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** Longest pause before retrying a partition while the schema registry is unavailable. */
  readonly maxRetryBackoffMs: number;
  /** The bearer token /metrics asks for (PASSERELLE_METRICS_TOKEN_FILE); open without one, development only. */
  readonly metricsToken?: string | undefined;
}

/** The key-encryption key, or a problem naming the variable (never its value). */
function keyEncryptionKey(env: EnvReader, problems: ConfigProblem[]): KeyEncryptionKey {
  const read = keyEncryptionKeyFromEnv(env.optionalString(KEY_ENCRYPTION_KEY_VARIABLE));
  if ('kek' in read) return read.kek;
  problems.push(read.problem);
  // A placeholder so that every other problem is still collected; the config is refused anyway.
  return KeyEncryptionKey.fromHex('0'.repeat(64));
}

function compile(source: string, problems: ConfigProblem[]): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    problems.push({ variable: 'PASSERELLE_TOPIC_PATTERN', reason: `must be a regular expression: ${(error as Error).message}` });
    return new RegExp(DEFAULT_TOPIC_PATTERN);
  }
}

/**
 * Reads the projector's variables once, at start. The names are the ones `npm start` sets;
 * a bad value stops the process with a message naming every variable to fix.
 */
export function loadConfig(source: EnvSource): ProjectorConfig {
  const env = new EnvReader(source);
  const problems: ConfigProblem[] = [];
  const kafkaAuth = kafkaSaslFrom(env.optionalString('PASSERELLE_KAFKA_USERNAME'), env.optionalString('PASSERELLE_KAFKA_PASSWORD'));
  const kafkaTls = kafkaTlsFrom(env.optionalFile(KAFKA_CA_FILE_VARIABLE));
  const databaseUrl = env.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/passerelle', ['postgres:', 'postgresql:']);
  const production = readEnvironment(env) === 'production';
  const metricsToken = readMetricsToken(env);
  const config: ProjectorConfig = {
    port: env.port('PORT', 8110),
    databaseUrl,
    migrationDatabaseUrl: env.url('PASSERELLE_MIGRATION_DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:']),
    viewSchema: env.identifier('PASSERELLE_VIEW_SCHEMA', 'view'),
    kafkaBrokers: env.hostPorts('PASSERELLE_KAFKA_BROKERS', ['127.0.0.1:9092']),
    ...(kafkaAuth.sasl ? { kafkaSasl: kafkaAuth.sasl } : {}),
    ...(kafkaTls.tls ? { kafkaTls: kafkaTls.tls } : {}),
    registryUrl: env.url('PASSERELLE_REGISTRY_URL', 'http://127.0.0.1:8081/apis/ccompat/v7'),
    recordKeySecret: env.requiredString('PASSERELLE_RECORD_KEY_SECRET', { minLength: MIN_SECRET_LENGTH }),
    keyEncryptionKey: keyEncryptionKey(env, problems),
    consumerGroup: env.string('PASSERELLE_CONSUMER_GROUP', 'passerelle-projector'),
    topicPattern: compile(env.string('PASSERELLE_TOPIC_PATTERN', DEFAULT_TOPIC_PATTERN), problems),
    deadLetterTopic: env.string('PASSERELLE_DEAD_LETTER_TOPIC', DEAD_LETTER_TOPIC),
    logLevel: env.oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info'),
    topicRefreshMs: 30_000,
    // Events per transaction: larger chunks mean fewer commits (each waits for the WAL flush).
    chunkSize: env.integer('PASSERELLE_PROJECTOR_CHUNK_SIZE', 1_000, { min: 1, max: 10_000 }),
    // Partitions handled at once; their chunks are applied together (group commit, entry-points/consumer-group-commit.ts).
    partitionsConsumedConcurrently: env.integer('PASSERELLE_PROJECTOR_CONCURRENCY', 16, { min: 1, max: 64 }),
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 3_000,
    maxRetryBackoffMs: 30_000,
    ...(metricsToken === undefined ? {} : { metricsToken }),
  };
  try {
    env.done();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.unshift(...error.problems);
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
        identityProvider: {},
        metricsProtected: metricsToken !== undefined,
      }),
    );
  if (config.topicPattern.test(config.deadLetterTopic)) {
    problems.push({
      variable: 'PASSERELLE_TOPIC_PATTERN',
      reason: `matches the dead-letter topic ${config.deadLetterTopic}: the projector would consume its own dead letters`,
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
