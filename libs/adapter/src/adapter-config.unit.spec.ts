import { describe, expect, it } from 'vitest';
import { ConfigError } from '@passerelle/config';
import { loadAdapterConfig } from './adapter-config.ts';

const defaults = { port: 8101, databaseSchema: 'adapter_justice' };
const secret = 's'.repeat(32);

describe('adapter configuration', () => {
  it('reads every variable, with the adapter’s own port and schema as defaults', () => {
    const config = loadAdapterConfig({ PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: `k${secret}`, PASSERELLE_KAFKA_BROKERS: 'k1:9092,k2:9092' }, defaults);

    expect(config).toMatchObject({ port: 8101, databaseSchema: 'adapter_justice', kafkaBrokers: ['k1:9092', 'k2:9092'], logLevel: 'info', ministryToken: secret });
  });

  it('refuses to start without a token and a pseudonym key, naming both variables', () => {
    let caught: unknown;
    try {
      loadAdapterConfig({}, defaults);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.variable)).toEqual(['PASSERELLE_MINISTRY_TOKEN', 'PASSERELLE_PSEUDONYM_KEY']);
  });

  it('refuses a key shorter than 32 characters without repeating it', () => {
    const short = 'tooShortSecretValue';

    expect(() => loadAdapterConfig({ PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: short, PORT: 'x' }, defaults)).toThrow(/PASSERELLE_PSEUDONYM_KEY: must be at least 32 characters long/);
    try {
      loadAdapterConfig({ PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: short }, defaults);
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
  });

  it('connects with SCRAM-SHA-512 when given a Kafka username and password, and without SASL when given neither', () => {
    const password = 'p'.repeat(43);
    const config = loadAdapterConfig({ PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: secret, PASSERELLE_KAFKA_USERNAME: 'justice', PASSERELLE_KAFKA_PASSWORD: password }, defaults);

    expect(config.kafkaSasl).toEqual({ mechanism: 'scram-sha-512', username: 'justice', password });
    expect(loadAdapterConfig({ PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: secret }, defaults).kafkaSasl).toBeUndefined();
  });

  it('refuses a Kafka password without a username (and the reverse), naming the missing variable and never the password', () => {
    const password = 'never-print-this-kafka-password-Q7';
    let caught: unknown;
    try {
      loadAdapterConfig({ PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: secret, PASSERELLE_KAFKA_PASSWORD: password }, defaults);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.variable)).toEqual(['PASSERELLE_KAFKA_USERNAME']);
    expect((caught as Error).message).not.toContain(password);
    expect(() => loadAdapterConfig({ PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: secret, PASSERELLE_KAFKA_USERNAME: 'justice' }, defaults)).toThrow(/PASSERELLE_KAFKA_PASSWORD: is required when PASSERELLE_KAFKA_USERNAME is set/);
  });

  it('refuses a schema name that is not a SQL identifier', () => {
    expect(() => loadAdapterConfig({ PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: secret, PASSERELLE_DB_SCHEMA: 'adapter; drop' }, defaults)).toThrow(/PASSERELLE_DB_SCHEMA/);
  });

  it('runs migrations on PASSERELLE_MIGRATION_DATABASE_URL, DATABASE_URL when it is absent, and never prints its password', () => {
    const env = { PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: secret, DATABASE_URL: 'postgres://p_adapter_justice:pw-service@db:5432/p' };
    expect(loadAdapterConfig(env, defaults).migrationDatabaseUrl).toBe(env.DATABASE_URL);
    expect(loadAdapterConfig({ ...env, PASSERELLE_MIGRATION_DATABASE_URL: 'postgres://p_migrator@db:5432/p' }, defaults).migrationDatabaseUrl).toBe('postgres://p_migrator@db:5432/p');
    expect(() => loadAdapterConfig({ ...env, PASSERELLE_MIGRATION_DATABASE_URL: 'mysql://p_migrator:pw-migrator@db/p' }, defaults)).toThrow(/PASSERELLE_MIGRATION_DATABASE_URL: must use postgres:/);
    expect(() => loadAdapterConfig({ ...env, PASSERELLE_MIGRATION_DATABASE_URL: 'p_migrator:pw-migrator@' }, defaults)).toThrow(/PASSERELLE_MIGRATION_DATABASE_URL: must be a URL/);
    try {
      loadAdapterConfig({ ...env, PASSERELLE_MIGRATION_DATABASE_URL: 'postgres://p_migrator:pw-migrator@db:bad/p' }, defaults);
    } catch (error) {
      expect((error as Error).message).not.toContain('pw-migrator');
    }
  });
});

