import { describe, expect, it } from 'vitest';
import { ConfigError } from '@passerelle/config';
import { loadConfig } from './config.ts';

/** The one variable without a default, with a test value. */
const SECRET = { PASSERELLE_RECORD_KEY_SECRET: 'test-only-record-key-secret-for-config-0001' };

describe('projector configuration', () => {
  it('defaults to the local stack, the view schema, every ministry topic and the shared dead-letter topic', () => {
    const config = loadConfig(SECRET);

    expect(config).toMatchObject({ port: 8110, viewSchema: 'view', consumerGroup: 'passerelle-projector', deadLetterTopic: 'passerelle.dead-letter.v1', kafkaBrokers: ['127.0.0.1:9092'] });
    for (const topic of ['justice.referrals.v1', 'child-welfare.service-gaps.v1', 'coordination-office.initiative-milestones.v1', 'education.new-family.v1']) expect(config.topicPattern.test(topic)).toBe(true);
    for (const topic of ['passerelle.dead-letter.v1', 'justice.referrals.v2', 'police.referrals.v1', 'x.justice.referrals.v1']) expect(config.topicPattern.test(topic)).toBe(false);
  });

  it('names every bad variable: schema, port, pattern', () => {
    let caught: unknown;
    try {
      loadConfig({ ...SECRET, PASSERELLE_VIEW_SCHEMA: 'View; drop', PORT: '0', PASSERELLE_TOPIC_PATTERN: '([' });
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['PASSERELLE_TOPIC_PATTERN', 'PASSERELLE_VIEW_SCHEMA', 'PORT']);
  });

  it('reads the projector principal’s Kafka credentials, both or neither, never echoing the password', () => {
    expect(loadConfig({ ...SECRET, PASSERELLE_KAFKA_USERNAME: 'projector', PASSERELLE_KAFKA_PASSWORD: 'secret-value-1' }).kafkaSasl).toEqual({ mechanism: 'scram-sha-512', username: 'projector', password: 'secret-value-1' });
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

  it('reads the chunk size and partition concurrency, refusing values outside their range', () => {
    expect(loadConfig({ ...SECRET, PASSERELLE_PROJECTOR_CHUNK_SIZE: '400', PASSERELLE_PROJECTOR_CONCURRENCY: '6' })).toMatchObject({ chunkSize: 400, partitionsConsumedConcurrently: 6 });
    expect(loadConfig(SECRET)).toMatchObject({ chunkSize: 1000, partitionsConsumedConcurrently: 16 });
    let caught: unknown;
    try {
      loadConfig({ ...SECRET, PASSERELLE_PROJECTOR_CHUNK_SIZE: '0', PASSERELLE_PROJECTOR_CONCURRENCY: 'many' });
    } catch (error) {
      caught = error;
    }
    expect((caught as ConfigError).problems.map((p) => p.variable).sort()).toEqual(['PASSERELLE_PROJECTOR_CHUNK_SIZE', 'PASSERELLE_PROJECTOR_CONCURRENCY']);
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
});
