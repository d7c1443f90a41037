import { describe, expect, it } from 'vitest';
import { KAFKA_CA_FILE_VARIABLE, kafkaAccessOf, kafkaTlsFrom } from './client.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('kafkaTlsFrom', () => {
  it('gives a plaintext client when no CA file is set', () => {
    expect(kafkaTlsFrom(undefined)).toEqual({});
  });

  it('verifies the broker against the CA and never accepts an unverified certificate', () => {
    expect(kafkaTlsFrom(PEM)).toEqual({ tls: { ca: [PEM], rejectUnauthorized: true } });
  });

  it('refuses a file without a PEM certificate, naming the variable and never quoting the file', () => {
    const { problem } = kafkaTlsFrom('not a certificate: secret-looking-text');
    expect(problem?.variable).toBe(KAFKA_CA_FILE_VARIABLE);
    expect(problem?.reason).not.toContain('secret-looking-text');
  });
});

describe('kafkaAccessOf', () => {
  it('carries the brokers, credentials and CA of a service config into createKafka options', () => {
    const sasl = { mechanism: 'scram-sha-512', username: 'projector', password: 'p' } as const;
    const tls = { ca: [PEM], rejectUnauthorized: true } as const;
    expect(kafkaAccessOf({ kafkaBrokers: ['127.0.0.1:9092'], kafkaSasl: sasl, kafkaTls: tls })).toEqual({
      brokers: ['127.0.0.1:9092'],
      sasl,
      ssl: tls,
    });
  });
});
