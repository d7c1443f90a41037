import { describe, expect, it } from 'vitest';
import { ConfigError } from '@passerelle/config';
import { KeyEncryptionKey } from '@passerelle/contracts';
import { TEST_KEY_ENCRYPTION_KEY_HEX } from '@passerelle/contracts/testing';
import { productionBasics, thrownBy } from '@passerelle/testing';
import { loadAdapterConfig } from './adapter-config.ts';

const defaults = { port: 8101, databaseSchema: 'adapter_justice' };
const secret = 's'.repeat(32);
const kek = TEST_KEY_ENCRYPTION_KEY_HEX;

describe('adapter configuration', () => {
  it('reads every variable, with the adapter’s own port and schema as defaults', () => {
    const config = loadAdapterConfig(
      {
        PASSERELLE_MINISTRY_TOKEN: secret,
        PASSERELLE_PSEUDONYM_KEY: `k${secret}`,
        PASSERELLE_KEY_ENCRYPTION_KEY: kek,
        PASSERELLE_KAFKA_BROKERS: 'k1:9092,k2:9092',
      },
      defaults,
    );

    expect(config).toMatchObject({
      port: 8101,
      databaseSchema: 'adapter_justice',
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      logLevel: 'info',
      ministryToken: secret,
    });
  });

  it('refuses to start without a token, a pseudonym key and a key-encryption key, naming each variable', () => {
    let caught: unknown;
    try {
      loadAdapterConfig({}, defaults);
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.variable)).toEqual([
      'PASSERELLE_MINISTRY_TOKEN',
      'PASSERELLE_PSEUDONYM_KEY',
      'PASSERELLE_KEY_ENCRYPTION_KEY',
    ]);
  });

  it('refuses a key shorter than 32 characters without repeating it', () => {
    const short = 'tooShortSecretValue';

    expect(() =>
      loadAdapterConfig(
        { PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: short, PASSERELLE_KEY_ENCRYPTION_KEY: kek, PORT: 'x' },
        defaults,
      ),
    ).toThrow(/PASSERELLE_PSEUDONYM_KEY: must be at least 32 characters long/);
    try {
      loadAdapterConfig(
        { PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: short, PASSERELLE_KEY_ENCRYPTION_KEY: kek },
        defaults,
      );
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
  });

  it('connects with SCRAM-SHA-512 when given a Kafka username and password, and without SASL when given neither', () => {
    const password = 'p'.repeat(43);
    const config = loadAdapterConfig(
      {
        PASSERELLE_MINISTRY_TOKEN: secret,
        PASSERELLE_PSEUDONYM_KEY: secret,
        PASSERELLE_KEY_ENCRYPTION_KEY: kek,
        PASSERELLE_KAFKA_USERNAME: 'justice',
        PASSERELLE_KAFKA_PASSWORD: password,
      },
      defaults,
    );

    expect(config.kafkaSasl).toEqual({ mechanism: 'scram-sha-512', username: 'justice', password });
    expect(
      loadAdapterConfig(
        { PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: secret, PASSERELLE_KEY_ENCRYPTION_KEY: kek },
        defaults,
      ).kafkaSasl,
    ).toBeUndefined();
  });

  it('refuses a Kafka password without a username (and the reverse), naming the missing variable and never the password', () => {
    const password = 'never-print-this-kafka-password-Q7';
    let caught: unknown;
    try {
      loadAdapterConfig(
        {
          PASSERELLE_MINISTRY_TOKEN: secret,
          PASSERELLE_PSEUDONYM_KEY: secret,
          PASSERELLE_KEY_ENCRYPTION_KEY: kek,
          PASSERELLE_KAFKA_PASSWORD: password,
        },
        defaults,
      );
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems.map((p) => p.variable)).toEqual(['PASSERELLE_KAFKA_USERNAME']);
    expect((caught as Error).message).not.toContain(password);
    expect(() =>
      loadAdapterConfig(
        {
          PASSERELLE_MINISTRY_TOKEN: secret,
          PASSERELLE_PSEUDONYM_KEY: secret,
          PASSERELLE_KEY_ENCRYPTION_KEY: kek,
          PASSERELLE_KAFKA_USERNAME: 'justice',
        },
        defaults,
      ),
    ).toThrow(/PASSERELLE_KAFKA_PASSWORD: is required when PASSERELLE_KAFKA_USERNAME is set/);
  });

  it('reads the key-encryption key the data keys are wrapped under from 64 hex digits', () => {
    const config = loadAdapterConfig(
      { PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: secret, PASSERELLE_KEY_ENCRYPTION_KEY: kek },
      defaults,
    );

    expect(config.keyEncryptionKey).toBeInstanceOf(KeyEncryptionKey);
    expect(config.keyEncryptionKey.id).toBe(KeyEncryptionKey.fromHex(kek).id);
  });

  it.each([
    ['too short', 'ab'.repeat(31)],
    ['too long', 'ab'.repeat(33)],
    ['not hexadecimal', `${'ab'.repeat(31)}zz`],
    ['base64 of 32 bytes', Buffer.alloc(32, 7).toString('base64')],
  ])('refuses a key-encryption key that is %s, naming the variable and never the value', (_what, value) => {
    let caught: unknown;
    try {
      loadAdapterConfig(
        { PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: secret, PASSERELLE_KEY_ENCRYPTION_KEY: value },
        defaults,
      );
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      { variable: 'PASSERELLE_KEY_ENCRYPTION_KEY', reason: 'must be 64 hexadecimal digits (32 bytes)' },
    ]);
    expect((caught as Error).message).not.toContain(value);
  });

  it('never shows the key-encryption key when the config is logged or serialised', () => {
    const config = loadAdapterConfig(
      { PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_PSEUDONYM_KEY: secret, PASSERELLE_KEY_ENCRYPTION_KEY: kek },
      defaults,
    );

    expect(JSON.stringify(config)).not.toContain(kek);
  });

  it('refuses a schema name that is not a SQL identifier', () => {
    expect(() =>
      loadAdapterConfig(
        {
          PASSERELLE_MINISTRY_TOKEN: secret,
          PASSERELLE_PSEUDONYM_KEY: secret,
          PASSERELLE_KEY_ENCRYPTION_KEY: kek,
          PASSERELLE_DB_SCHEMA: 'adapter; drop',
        },
        defaults,
      ),
    ).toThrow(/PASSERELLE_DB_SCHEMA/);
  });

  it('runs migrations on PASSERELLE_MIGRATION_DATABASE_URL, DATABASE_URL when it is absent, and never prints its password', () => {
    const env = {
      PASSERELLE_MINISTRY_TOKEN: secret,
      PASSERELLE_PSEUDONYM_KEY: secret,
      PASSERELLE_KEY_ENCRYPTION_KEY: kek,
      DATABASE_URL: 'postgres://p_adapter_justice:pw-service@db:5432/p',
    };
    expect(loadAdapterConfig(env, defaults).migrationDatabaseUrl).toBe(env.DATABASE_URL);
    expect(
      loadAdapterConfig({ ...env, PASSERELLE_MIGRATION_DATABASE_URL: 'postgres://p_migrator@db:5432/p' }, defaults).migrationDatabaseUrl,
    ).toBe('postgres://p_migrator@db:5432/p');
    expect(() => loadAdapterConfig({ ...env, PASSERELLE_MIGRATION_DATABASE_URL: 'mysql://p_migrator:pw-migrator@db/p' }, defaults)).toThrow(
      /PASSERELLE_MIGRATION_DATABASE_URL: must use postgres:/,
    );
    expect(() => loadAdapterConfig({ ...env, PASSERELLE_MIGRATION_DATABASE_URL: 'p_migrator:pw-migrator@' }, defaults)).toThrow(
      /PASSERELLE_MIGRATION_DATABASE_URL: must be a URL/,
    );
    try {
      loadAdapterConfig({ ...env, PASSERELLE_MIGRATION_DATABASE_URL: 'postgres://p_migrator:pw-migrator@db:bad/p' }, defaults);
    } catch (error) {
      expect((error as Error).message).not.toContain('pw-migrator');
    }
  });

  describe('OAuth2 access tokens', () => {
    const keys = { PASSERELLE_PSEUDONYM_KEY: secret, PASSERELLE_KEY_ENCRYPTION_KEY: kek };
    const issuer = 'http://127.0.0.1:8180/realms/passerelle';

    it("takes an issuer instead of a static token, the adapter's service name as audience and Keycloak's keys URL by default", () => {
      const config = loadAdapterConfig({ ...keys, PASSERELLE_OAUTH_ISSUER: issuer }, { ...defaults, oauthAudience: 'adapter-justice' });

      expect(config.ministryToken).toBeUndefined();
      expect(config.oauth).toEqual({
        issuer,
        jwksUrl: `${issuer}/protocol/openid-connect/certs`,
        audience: 'adapter-justice',
        clockToleranceSeconds: 30,
      });
    });

    it('keeps the static token beside the issuer outside production', () => {
      const config = loadAdapterConfig(
        { ...keys, PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_OAUTH_ISSUER: issuer, PASSERELLE_OAUTH_AUDIENCE: 'adapter-x' },
        defaults,
      );

      expect(config).toMatchObject({ ministryToken: secret, oauth: { audience: 'adapter-x' } });
    });

    it('refuses a static token in production, and production without an issuer', () => {
      const production = { ...keys, ...productionBasics() };

      expect(() =>
        loadAdapterConfig({ ...production, PASSERELLE_MINISTRY_TOKEN: secret, PASSERELLE_OAUTH_ISSUER: issuer }, defaults),
      ).toThrow(/PASSERELLE_MINISTRY_TOKEN: static bearer tokens are for development only/);
      expect(() => loadAdapterConfig(production, defaults)).toThrow(/PASSERELLE_OAUTH_ISSUER: is required in production/);
      expect(
        loadAdapterConfig({ ...production, PASSERELLE_OAUTH_ISSUER: issuer, PASSERELLE_OAUTH_AUDIENCE: 'adapter-justice' }, defaults).oauth,
      ).toBeDefined();
    });
  });

  describe('production mode', () => {
    const production = {
      ...productionBasics(),
      PASSERELLE_PSEUDONYM_KEY: `k${secret}`,
      PASSERELLE_KEY_ENCRYPTION_KEY: kek,
      PASSERELLE_OAUTH_ISSUER: 'https://idp.gov.example/realms/passerelle',
    };

    it('starts with every production setting, /metrics behind its token', () => {
      const config = loadAdapterConfig(production, { ...defaults, oauthAudience: 'adapter-justice' });
      expect(config.metricsToken).toMatch(/^.{32,}$/);
      expect(config.ministryToken).toBeUndefined();
    });

    it('names each unsafe setting, never its value', () => {
      const unsafe = {
        PASSERELLE_ENVIRONMENT: 'production',
        DATABASE_URL: 'postgres://postgres:db-password-canary@db.internal:5432/passerelle',
        PASSERELLE_MIGRATION_DATABASE_URL: 'postgres://db.internal:5432/passerelle',
        PASSERELLE_MINISTRY_TOKEN: 'static-token-canary-static-token-canary',
        PASSERELLE_OAUTH_ISSUER: 'http://idp.gov.example/realms/passerelle',
        PASSERELLE_PSEUDONYM_KEY: 'short-key-canary',
        PASSERELLE_KEY_ENCRYPTION_KEY: 'abcd',
      };
      const error = thrownBy(() => loadAdapterConfig(unsafe, { ...defaults, oauthAudience: 'adapter-justice' }));
      expect(error).toBeInstanceOf(ConfigError);
      const named = (error as ConfigError).problems.map((problem) => problem.variable);
      expect(new Set(named)).toEqual(
        new Set([
          'PASSERELLE_KAFKA_USERNAME',
          'PASSERELLE_KAFKA_CA_FILE',
          'DATABASE_URL',
          'PASSERELLE_MIGRATION_DATABASE_URL',
          'PASSERELLE_MINISTRY_TOKEN',
          'PASSERELLE_OAUTH_ISSUER',
          'PASSERELLE_OAUTH_JWKS_URL',
          'PASSERELLE_PSEUDONYM_KEY',
          'PASSERELLE_KEY_ENCRYPTION_KEY',
          'PASSERELLE_METRICS_TOKEN_FILE',
        ]),
      );
      for (const value of ['db-password-canary', 'static-token-canary', 'short-key-canary'])
        expect((error as Error).message).not.toContain(value);
    });

    it('refuses an environment it does not know rather than running as development', () => {
      expect(() => loadAdapterConfig({ ...production, PASSERELLE_ENVIRONMENT: 'prod' }, defaults)).toThrow(
        /PASSERELLE_ENVIRONMENT: must be one of development, test, production/,
      );
    });

    it('takes an identity provider over plain HTTP on this machine (loopback)', () => {
      const local = { ...production, PASSERELLE_OAUTH_ISSUER: 'http://127.0.0.1:8180/realms/passerelle' };
      expect(loadAdapterConfig(local, { ...defaults, oauthAudience: 'adapter-justice' }).oauth?.issuer).toContain('127.0.0.1');
    });
  });
});
