import { describe, expect, it } from 'vitest';
import { ConfigError } from '@passerelle/config';
import { TEST_KEY_ENCRYPTION_KEY_HEX, testKeyEncryptionKey } from '@passerelle/contracts/testing';
import { productionBasics, thrownBy } from '@passerelle/testing';
import { loadConfig } from './config.ts';

/** The variables without a default, with test values. */
const SECRET = {
  PASSERELLE_RECORD_KEY_SECRET: 'test-only-record-key-secret-for-config-0001',
  PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
};

describe('projector configuration', () => {
  it('defaults to the local stack, the view schema, every ministry topic and the shared dead-letter topic', () => {
    const config = loadConfig(SECRET);

    expect(config).toMatchObject({
      port: 8110,
      viewSchema: 'view',
      consumerGroup: 'passerelle-projector',
      deadLetterTopic: 'passerelle.dead-letter.v1',
      kafkaBrokers: ['127.0.0.1:9092'],
    });
    for (const topic of [
      'justice.referrals.v1',
      'child-welfare.service-gaps.v1',
      'coordination-office.initiative-milestones.v1',
      'education.new-family.v1',
    ])
      expect(config.topicPattern.test(topic)).toBe(true);
    for (const topic of ['passerelle.dead-letter.v1', 'justice.referrals.v2', 'police.referrals.v1', 'x.justice.referrals.v1'])
      expect(config.topicPattern.test(topic)).toBe(false);
  });

  it('requires the key-encryption key, naming the variable and never echoing a bad value', () => {
    expect(loadConfig(SECRET).keyEncryptionKey.id).toBe(testKeyEncryptionKey().id);
    const problemsOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('accepted');
    };
    const missing = problemsOf({ PASSERELLE_RECORD_KEY_SECRET: SECRET.PASSERELLE_RECORD_KEY_SECRET });
    expect(missing.problems.map((p) => p.variable)).toEqual(['PASSERELLE_KEY_ENCRYPTION_KEY']);
    const badValue = 'not-hex-but-a-leaked-secret-value-0123456789abcdef0123456789abcdef';
    const bad = problemsOf({ ...SECRET, PASSERELLE_KEY_ENCRYPTION_KEY: badValue });
    expect(bad.problems.map((p) => p.variable)).toEqual(['PASSERELLE_KEY_ENCRYPTION_KEY']);
    expect(bad.message).not.toContain(badValue);
  });

  it('names every bad variable: schema, port, pattern', () => {
    let caught: unknown;
    try {
      loadConfig({ ...SECRET, PASSERELLE_VIEW_SCHEMA: 'View; drop', PORT: '0', PASSERELLE_TOPIC_PATTERN: '([' });
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.variable).sort()).toEqual([
      'PASSERELLE_TOPIC_PATTERN',
      'PASSERELLE_VIEW_SCHEMA',
      'PORT',
    ]);
  });

  it('reads the projector principal’s Kafka credentials, both or neither, never echoing the password', () => {
    expect(
      loadConfig({ ...SECRET, PASSERELLE_KAFKA_USERNAME: 'projector', PASSERELLE_KAFKA_PASSWORD: 'secret-value-1' }).kafkaSasl,
    ).toEqual({ mechanism: 'scram-sha-512', username: 'projector', password: 'secret-value-1' });
    expect(loadConfig(SECRET).kafkaSasl).toBeUndefined();
    let caught: unknown;
    try {
      loadConfig({ ...SECRET, PASSERELLE_KAFKA_PASSWORD: 'secret-value-2', PORT: '0' });
    } catch (error) {
      caught = error;
    }
    expect((caught as ConfigError).problems.map((p) => p.variable)).toEqual(['PORT', 'PASSERELLE_KAFKA_USERNAME']);
    expect((caught as Error).message).not.toContain('secret-value-2');
  });

  it('reads the broker CA from PASSERELLE_KAFKA_CA_FILE once; a missing file, or one without a certificate, stops it naming the variable', () => {
    expect(loadConfig(SECRET).kafkaTls).toBeUndefined();
    const missing = (() => {
      try {
        loadConfig({ ...SECRET, PASSERELLE_KAFKA_CA_FILE: '/nonexistent/ca.pem' });
      } catch (error) {
        return error as ConfigError;
      }
      return undefined;
    })();
    expect(missing?.problems).toEqual([
      { variable: 'PASSERELLE_KAFKA_CA_FILE', reason: 'names /nonexistent/ca.pem, which cannot be read (ENOENT)' },
    ]);
    // Any readable file without a PEM certificate: this very spec.
    expect(() => loadConfig({ ...SECRET, PASSERELLE_KAFKA_CA_FILE: new URL(import.meta.url).pathname })).toThrow(
      'PASSERELLE_KAFKA_CA_FILE: names a file that holds no PEM certificate',
    );
  });

  it('reads the chunk size and partition concurrency, refusing values outside their range', () => {
    expect(loadConfig({ ...SECRET, PASSERELLE_PROJECTOR_CHUNK_SIZE: '400', PASSERELLE_PROJECTOR_CONCURRENCY: '6' })).toMatchObject({
      chunkSize: 400,
      partitionsConsumedConcurrently: 6,
    });
    expect(loadConfig(SECRET)).toMatchObject({ chunkSize: 1000, partitionsConsumedConcurrently: 16 });
    let caught: unknown;
    try {
      loadConfig({ ...SECRET, PASSERELLE_PROJECTOR_CHUNK_SIZE: '0', PASSERELLE_PROJECTOR_CONCURRENCY: 'many' });
    } catch (error) {
      caught = error;
    }
    expect((caught as ConfigError).problems.map((p) => p.variable).sort()).toEqual([
      'PASSERELLE_PROJECTOR_CHUNK_SIZE',
      'PASSERELLE_PROJECTOR_CONCURRENCY',
    ]);
  });

  it('requires the record-key secret, at least 32 characters, naming the variable and never echoing the value', () => {
    const refused = (env: Record<string, string>): ConfigError => {
      try {
        loadConfig(env);
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('accepted');
    };

    expect(loadConfig(SECRET).recordKeySecret).toBe(SECRET.PASSERELLE_RECORD_KEY_SECRET);
    expect(refused({}).message).toContain('PASSERELLE_RECORD_KEY_SECRET: is required and not set');
    const short = refused({ PASSERELLE_RECORD_KEY_SECRET: 'short-secret-value-Zq9' });
    expect(short).toBeInstanceOf(ConfigError);
    expect(short.message).toContain('PASSERELLE_RECORD_KEY_SECRET: must be at least 32 characters long');
    expect(short.message).not.toContain('short-secret-value-Zq9');
  });

  it('refuses a topic pattern that would consume its own dead letters', () => {
    expect(() => loadConfig({ ...SECRET, PASSERELLE_TOPIC_PATTERN: '^passerelle\\..*' })).toThrow(/matches the dead-letter topic/);
  });

  it('in production starts with every production setting, /metrics behind its token', () => {
    expect(loadConfig({ ...SECRET, ...productionBasics() }).metricsToken).toBeDefined();
  });

  it('in production names each unsafe setting, never its value', () => {
    const error = thrownBy(() =>
      loadConfig({
        PASSERELLE_ENVIRONMENT: 'production',
        DATABASE_URL: 'postgres://postgres:db-password-canary@db.internal:5432/passerelle',
        PASSERELLE_RECORD_KEY_SECRET: 'record-canary',
        PASSERELLE_KEY_ENCRYPTION_KEY: 'abcd',
      }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(new Set((error as ConfigError).problems.map((problem) => problem.variable))).toEqual(
      new Set([
        'PASSERELLE_KAFKA_USERNAME',
        'PASSERELLE_KAFKA_CA_FILE',
        'DATABASE_URL',
        'PASSERELLE_RECORD_KEY_SECRET',
        'PASSERELLE_KEY_ENCRYPTION_KEY',
        'PASSERELLE_METRICS_TOKEN_FILE',
      ]),
    );
    for (const value of ['db-password-canary', 'record-canary']) expect((error as Error).message).not.toContain(value);
  });
});
