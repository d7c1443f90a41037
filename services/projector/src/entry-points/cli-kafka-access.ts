import { KAFKA_CA_FILE_VARIABLE, KAFKA_PASSWORD_VARIABLE, KAFKA_USERNAME_VARIABLE, type KafkaAccessConfig } from '@passerelle/kafka';

/** kafkajs's errors when a SASL_SSL listener drops a client that speaks plaintext or does not authenticate. */
const REFUSALS = new Set(['KafkaJSConnectionClosedError', 'KafkaJSSASLAuthenticationError']);

function refusedByBroker(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const err = error as { name?: unknown; message?: unknown; originalError?: unknown; cause?: unknown };
  if (typeof err.name === 'string' && REFUSALS.has(err.name)) return true;
  if (typeof err.message === 'string' && err.message.includes('Closed connection')) return true;
  return refusedByBroker(err.originalError, depth + 1) || refusedByBroker(err.cause, depth + 1);
}

/**
 * When the broker dropped a command run without TLS or SASL credentials, what to say instead
 * of kafkajs's "Closed connection": the variables left unset (names only, never a value).
 */
export function kafkaAccessHint(config: KafkaAccessConfig, error: unknown): string | undefined {
  const unset = [
    ...(config.kafkaTls ? [] : [KAFKA_CA_FILE_VARIABLE]),
    ...(config.kafkaSasl ? [] : [KAFKA_USERNAME_VARIABLE, KAFKA_PASSWORD_VARIABLE]),
  ];
  if (unset.length === 0 || !refusedByBroker(error)) return undefined;
  return (
    `the broker closed the connection, and ${unset.join(', ')} ${unset.length > 1 ? 'are' : 'is'} not set: a SASL_SSL listener needs the CA ` +
    'and a principal (`npm run projector` finds the local stack’s; see docs/operations.md#credentials-for-the-clis)'
  );
}
