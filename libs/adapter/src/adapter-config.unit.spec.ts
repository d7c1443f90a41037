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

  it('refuses a schema name that is not a SQL identifier', () => {
    expect(() => loadAdapterConfig({ PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: secret, PASSERELLE_DB_SCHEMA: 'adapter; drop' }, defaults)).toThrow(/PASSERELLE_DB_SCHEMA/);
  });
});
