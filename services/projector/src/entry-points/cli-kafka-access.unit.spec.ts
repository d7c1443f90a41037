import { describe, expect, it } from 'vitest';
import { kafkaAccessHint } from './cli-kafka-access.ts';

const closed = Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError' });
const retriesExceeded = Object.assign(new Error('Connection error'), { name: 'KafkaJSNumberOfRetriesExceeded', originalError: closed });

describe('kafkaAccessHint', () => {
  it('names the unset variables when the broker closed the connection of a client without TLS or SASL', () => {
    const hint = kafkaAccessHint({ kafkaBrokers: ['127.0.0.1:9092'] }, retriesExceeded);

    expect(hint).toContain('PASSERELLE_KAFKA_CA_FILE, PASSERELLE_KAFKA_USERNAME, PASSERELLE_KAFKA_PASSWORD are not set');
  });

  it('names only the CA when the credentials are set, and never a value', () => {
    const hint = kafkaAccessHint(
      { kafkaBrokers: ['127.0.0.1:9092'], kafkaSasl: { mechanism: 'scram-sha-512', username: 'projector', password: 'secret-value' } },
      closed,
    );

    expect(hint).toContain('PASSERELLE_KAFKA_CA_FILE is not set');
    expect(hint).not.toContain('secret-value');
    expect(hint).not.toContain('USERNAME');
  });

  it('says nothing of a fully configured client, or of another failure', () => {
    const configured = {
      kafkaBrokers: ['127.0.0.1:9092'],
      kafkaSasl: { mechanism: 'scram-sha-512' as const, username: 'projector', password: 'p' },
      kafkaTls: { ca: ['-----BEGIN CERTIFICATE-----'], rejectUnauthorized: true as const },
    };
    expect(kafkaAccessHint(configured, closed)).toBeUndefined();
    expect(kafkaAccessHint({ kafkaBrokers: ['127.0.0.1:9092'] }, new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBeUndefined();
  });
});
