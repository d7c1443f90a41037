import { Kafka, Partitioners, logLevel, type KafkaConfig, type Producer, type SASLOptions } from 'kafkajs';
import type { Logger } from '@passerelle/logging';

/** SCRAM-SHA-512 credentials of one principal. */
export interface KafkaSasl {
  readonly mechanism: 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

export const KAFKA_USERNAME_VARIABLE = 'PASSERELLE_KAFKA_USERNAME';
export const KAFKA_PASSWORD_VARIABLE = 'PASSERELLE_KAFKA_PASSWORD';
export const KAFKA_CA_FILE_VARIABLE = 'PASSERELLE_KAFKA_CA_FILE';

/** TLS to the broker: the PEM certificate(s) of the CA its certificate must chain to; never relaxed. */
export interface KafkaTls {
  readonly ca: readonly string[];
  readonly rejectUnauthorized: true;
}

/**
 * TLS options from the text of the file PASSERELLE_KAFKA_CA_FILE names (undefined when unset:
 * a plaintext client). Text without a PEM certificate is a problem naming the variable, never
 * quoting the file.
 */
export function kafkaTlsFrom(caPem: string | undefined): { tls?: KafkaTls; problem?: { variable: string; reason: string } } {
  if (caPem === undefined) return {};
  if (!caPem.includes('-----BEGIN CERTIFICATE-----'))
    return { problem: { variable: KAFKA_CA_FILE_VARIABLE, reason: 'names a file that holds no PEM certificate' } };
  return { tls: { ca: [caPem], rejectUnauthorized: true } };
}

/**
 * The service's Kafka credentials from PASSERELLE_KAFKA_USERNAME and PASSERELLE_KAFKA_PASSWORD
 * (values already trimmed, undefined when unset): both set gives SCRAM-SHA-512, neither gives a
 * PLAINTEXT client, one alone is a problem naming the missing variable. No message ever
 * contains the password.
 */
export function kafkaSaslFrom(
  username: string | undefined,
  password: string | undefined,
): { sasl?: KafkaSasl; problem?: { variable: string; reason: string } } {
  if (username === undefined && password === undefined) return {};
  if (username === undefined)
    return {
      problem: { variable: KAFKA_USERNAME_VARIABLE, reason: `is required when ${KAFKA_PASSWORD_VARIABLE} is set (both or neither)` },
    };
  if (password === undefined)
    return {
      problem: { variable: KAFKA_PASSWORD_VARIABLE, reason: `is required when ${KAFKA_USERNAME_VARIABLE} is set (both or neither)` },
    };
  return { sasl: { mechanism: 'scram-sha-512', username, password } };
}

export interface KafkaClientOptions {
  readonly clientId: string;
  readonly brokers: readonly string[];
  /** SCRAM credentials of this service's principal, when the broker requires them. */
  readonly sasl?: KafkaSasl | undefined;
  /** TLS with the broker's CA (SASL_SSL); absent for a plaintext listener. */
  readonly ssl?: KafkaTls | undefined;
  readonly logger?: Logger;
  /** Connection retries before an operation fails (default 8, about 30 s with backoff). */
  readonly retries?: number;
}

/** The part of a service's typed config that says where and how it reaches Kafka. */
export interface KafkaAccessConfig {
  readonly kafkaBrokers: readonly string[];
  readonly kafkaSasl?: KafkaSasl | undefined;
  readonly kafkaTls?: KafkaTls | undefined;
}

/** `createKafka` options from a service's config: its brokers, its principal's SCRAM credentials and the broker's CA. */
export function kafkaAccessOf(config: KafkaAccessConfig): Pick<KafkaClientOptions, 'brokers' | 'sasl' | 'ssl'> {
  return { brokers: config.kafkaBrokers, sasl: config.kafkaSasl, ssl: config.kafkaTls };
}

/** kafkajs levels mapped onto the service's JSON logger; kafkajs's own text never includes payloads. */
function kafkaLogCreator(logger: Logger) {
  return () =>
    ({ level, log }: { level: number; log: { message: string; [key: string]: unknown } }) => {
      const { message, broker, clientId, error, retryCount } = log;
      const fields = { component: 'kafkajs', broker, clientId, error, retryCount };
      if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
      else if (level === logLevel.INFO) logger.debug(fields, message);
    };
}

export function createKafka(options: KafkaClientOptions): Kafka {
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, retries: options.retries ?? 8, maxRetryTime: 10_000 },
    logLevel: options.logger ? logLevel.INFO : logLevel.NOTHING,
    ...(options.logger ? { logCreator: kafkaLogCreator(options.logger) } : {}),
    ...(options.sasl ? { sasl: { ...options.sasl } as SASLOptions } : {}),
    ...(options.ssl ? { ssl: { ca: [...options.ssl.ca], rejectUnauthorized: true } } : {}),
  };
  return new Kafka(config);
}

/**
 * The one producer shape Passerelle uses: idempotent, acks=all, one request in flight so
 * that retries cannot reorder messages of a key.
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 },
  });
}
