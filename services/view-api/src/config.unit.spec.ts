import { describe, expect, it } from 'vitest';
import { ConfigError } from '@passerelle/config';
import { productionBasics, thrownBy } from '@passerelle/testing';
import { loadAuditVerifyConfig, loadConfig } from './config.ts';

const AUDIT_KEY = 'audit-key-audit-key-audit-key-0001';
const KEK = 'ab'.repeat(32);
const base = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/passerelle',
  PASSERELLE_AUDIT_HMAC_KEY: AUDIT_KEY,
  PASSERELLE_KEY_ENCRYPTION_KEY: KEK,
};

describe('view-api configuration', () => {
  it('uses the documented defaults with a shared secret', () => {
    expect(loadConfig({ ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32) })).toMatchObject({
      port: 8080,
      viewSchema: 'view',
      apiSchema: 'view_api',
      disclosure: { threshold: 5, maxPerturbation: 6, medianMinimum: 10, auditBelow: 10 },
      traceUiUrl: 'http://127.0.0.1:9411/zipkin/traces',
      jwt: { issuer: 'passerelle-dev', audience: 'passerelle-view-api', key: { kind: 'secret' } },
      audit: { hmacKey: AUDIT_KEY },
    });
  });

  it('reads per-subject rate quotas from PASSERELLE_RATE_LIMIT_QUOTAS and refuses a bad list naming the variable', () => {
    const secret = { ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32) };

    expect(
      loadConfig({
        ...secret,
        PASSERELLE_RATE_LIMIT_PER_MINUTE: '120',
        PASSERELLE_RATE_LIMIT_QUOTAS: 'dev-coordination-office=60000,bench=0',
      }).http,
    ).toEqual({
      rateLimitPerMinute: 120,
      requestTimeoutMs: 10_000,
      rateLimitQuotas: { 'dev-coordination-office': 60_000, bench: 0 },
    });
    expect(() => loadConfig({ ...secret, PASSERELLE_RATE_LIMIT_QUOTAS: 'dev-coordination-office:60000' })).toThrow(
      /PASSERELLE_RATE_LIMIT_QUOTAS: entry 1 must be id=requests-per-minute/,
    );
    expect(() => loadConfig({ ...secret, PASSERELLE_RATE_LIMIT_QUOTAS: 'bench=1,bench=2' })).toThrow(
      /PASSERELLE_RATE_LIMIT_QUOTAS: entry 2 names an id/,
    );
  });

  it('refuses to start without a valid key-encryption key, naming the variable with the others and never printing the value', () => {
    const secret = { ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32) };
    const { PASSERELLE_KEY_ENCRYPTION_KEY: _kek, ...withoutKek } = secret;
    expect(() => loadConfig(withoutKek)).toThrow(/PASSERELLE_KEY_ENCRYPTION_KEY: is required/);
    const bad = 'zz'.repeat(32);
    let message = '';
    try {
      loadConfig({ ...secret, PASSERELLE_KEY_ENCRYPTION_KEY: bad, PORT: 'x' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/PASSERELLE_KEY_ENCRYPTION_KEY: must be 64 hexadecimal digits/);
    expect(message).toMatch(/PORT/);
    expect(message).not.toContain(bad);
    expect(loadConfig(secret).keyEncryptionKey.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses to start without an audit key of at least 32 characters, naming the variable and never printing the value', () => {
    const secret = { ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32) };
    const { PASSERELLE_AUDIT_HMAC_KEY: _key, ...withoutKey } = secret;
    expect(() => loadConfig(withoutKey)).toThrow(/PASSERELLE_AUDIT_HMAC_KEY: is required/);
    const short = 'short-audit-key-31-characters-x';
    expect(short).toHaveLength(31);
    let message = '';
    try {
      loadConfig({ ...secret, PASSERELLE_AUDIT_HMAC_KEY: short });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/PASSERELLE_AUDIT_HMAC_KEY: must be at least 32 characters long/);
    expect(message).not.toContain(short);
  });

  it('reads what audit verify needs: the database, the schema and the key', () => {
    expect(loadAuditVerifyConfig({ ...base, PASSERELLE_VIEW_API_SCHEMA: 'audit_x' })).toEqual({
      databaseUrl: base.DATABASE_URL,
      apiSchema: 'audit_x',
      hmacKey: AUDIT_KEY,
    });
    expect(() => loadAuditVerifyConfig({ DATABASE_URL: base.DATABASE_URL })).toThrow(/PASSERELLE_AUDIT_HMAC_KEY/);
  });

  it('reads the identity provider from PASSERELLE_OIDC_ISSUER, the JWKS and the audience defaulting to Keycloak’s, and needs no secret then', () => {
    const config = loadConfig({ ...base, PASSERELLE_OIDC_ISSUER: 'http://127.0.0.1:8180/realms/passerelle' });
    expect(config.oidc).toEqual({
      issuer: 'http://127.0.0.1:8180/realms/passerelle',
      jwksUrl: 'http://127.0.0.1:8180/realms/passerelle/protocol/openid-connect/certs',
      audience: 'passerelle-view-api',
      clockToleranceSeconds: 30,
      maxTokenAgeSeconds: 600,
      dashboardClientId: 'passerelle-dashboard',
    });
    expect(config.jwt).toBeUndefined();
    expect(config.environment).toBe('development');
    expect(
      loadConfig({ ...base, PASSERELLE_OIDC_ISSUER: 'https://idp.example/r', PASSERELLE_OIDC_MAX_TOKEN_AGE_S: '120' }).oidc,
    ).toMatchObject({
      maxTokenAgeSeconds: 120,
    });
  });

  it('in production requires the identity provider and refuses a development secret, naming the variables', () => {
    const production = { ...base, ...productionBasics() };
    expect(() => loadConfig(production)).toThrow(/PASSERELLE_OIDC_ISSUER: is required in production/);
    expect(() =>
      loadConfig({ ...production, PASSERELLE_OIDC_ISSUER: 'https://idp.example/r', PASSERELLE_JWT_SECRET: 'a'.repeat(32) }),
    ).toThrow(/PASSERELLE_JWT_SECRET: development tokens are refused in production/);
    const config = loadConfig({ ...production, PASSERELLE_OIDC_ISSUER: 'https://idp.example/r' });
    expect(config).toMatchObject({ environment: 'production', jwt: undefined });
  });

  it('in production sends its metrics token over https only, or to this machine', () => {
    const production = { ...base, ...productionBasics(), PASSERELLE_OIDC_ISSUER: 'https://idp.example/r' };
    const metrics = (value: string) => () => loadConfig({ ...production, PASSERELLE_PIPELINE_METRICS: value });
    expect(metrics('projector=http://projector.internal:8090,justice=https://justice.internal:8101')).toThrow(
      /PASSERELLE_PIPELINE_METRICS: must use https in production/,
    );
    expect(metrics('projector=https://projector.internal:8090,justice=http://127.0.0.1:8101')).not.toThrow();
    expect(() =>
      loadConfig({ ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32), PASSERELLE_PIPELINE_METRICS: 'p=http://projector.internal:1' }),
    ).not.toThrow();
  });

  it('refuses to start without a key, with a short secret, or with a bad threshold, naming each variable', () => {
    expect(() => loadConfig(base)).toThrow(/PASSERELLE_JWT_SECRET/);
    expect(() => loadConfig({ ...base, PASSERELLE_JWT_SECRET: 'short' })).toThrow(/at least 32/);
    expect(() => loadConfig({ ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32), PASSERELLE_SUPPRESSION_THRESHOLD: 'x' })).toThrow(
      /PASSERELLE_SUPPRESSION_THRESHOLD/,
    );
  });

  it('refuses unsafe disclosure control: a threshold below 5, no perturbation, a median on few cases', () => {
    const secret = { ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32) };
    expect(() => loadConfig({ ...secret, PASSERELLE_SUPPRESSION_THRESHOLD: '4' })).toThrow(
      /PASSERELLE_SUPPRESSION_THRESHOLD: must be an integer of at least 5/,
    );
    expect(() => loadConfig({ ...secret, PASSERELLE_MAX_PERTURBATION: '0' })).toThrow(
      /PASSERELLE_MAX_PERTURBATION: must be an integer from 2 to 20: without perturbation/,
    );
    expect(() => loadConfig({ ...secret, PASSERELLE_MAX_PERTURBATION: '1' })).toThrow(/PASSERELLE_MAX_PERTURBATION/);
    expect(() => loadConfig({ ...secret, PASSERELLE_SUPPRESSION_THRESHOLD: '8', PASSERELLE_MEDIAN_MINIMUM: '12' })).toThrow(
      /PASSERELLE_MEDIAN_MINIMUM/,
    );
    expect(() => loadConfig({ ...secret, PASSERELLE_AUDIT_AGGREGATES_BELOW: '2' })).toThrow(/PASSERELLE_AUDIT_AGGREGATES_BELOW/);
    expect(
      loadConfig({ ...secret, PASSERELLE_SUPPRESSION_THRESHOLD: '7', PASSERELLE_MAX_PERTURBATION: '8', PASSERELLE_MEDIAN_MINIMUM: '20' })
        .disclosure,
    ).toEqual({
      threshold: 7,
      maxPerturbation: 8,
      medianMinimum: 20,
      auditBelow: 10,
    });
  });

  it('runs the audit migrations on PASSERELLE_MIGRATION_DATABASE_URL, DATABASE_URL when it is absent', () => {
    const secret = { ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32) };
    expect(loadConfig(secret).migrationDatabaseUrl).toBe(base.DATABASE_URL);
    expect(loadConfig({ ...secret, PASSERELLE_MIGRATION_DATABASE_URL: 'postgres://p_migrator:pw@db/p' }).migrationDatabaseUrl).toBe(
      'postgres://p_migrator:pw@db/p',
    );
    expect(() => loadConfig({ ...secret, PASSERELLE_MIGRATION_DATABASE_URL: 'http://p_migrator:pw-migrator@db/p' })).toThrow(
      /PASSERELLE_MIGRATION_DATABASE_URL: must use postgres:/,
    );
    const { DATABASE_URL: _url, ...withoutUrl } = secret;
    expect(() => loadConfig(withoutUrl)).toThrow(/DATABASE_URL: is required/);
  });

  it('in production names each unsafe setting, never its value', () => {
    const error = thrownBy(() =>
      loadConfig({
        PASSERELLE_ENVIRONMENT: 'production',
        DATABASE_URL: 'postgres://postgres:db-password-canary@db.internal:5432/passerelle',
        PASSERELLE_JWT_SECRET: 'jwt-secret-canary-jwt-secret-canary-00',
        PASSERELLE_OIDC_ISSUER: 'http://idp.gov.example/realms/passerelle',
        PASSERELLE_SUPPRESSION_THRESHOLD: '4',
        PASSERELLE_AUDIT_HMAC_KEY: 'audit-canary',
        PASSERELLE_KEY_ENCRYPTION_KEY: 'abcd',
      }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(new Set((error as ConfigError).problems.map((problem) => problem.variable))).toEqual(
      new Set([
        'DATABASE_URL',
        'PASSERELLE_JWT_SECRET',
        'PASSERELLE_OIDC_ISSUER',
        'PASSERELLE_OIDC_JWKS_URL',
        'PASSERELLE_SUPPRESSION_THRESHOLD',
        'PASSERELLE_AUDIT_HMAC_KEY',
        'PASSERELLE_KEY_ENCRYPTION_KEY',
        'PASSERELLE_METRICS_TOKEN_FILE',
      ]),
    );
    for (const value of ['db-password-canary', 'jwt-secret-canary', 'audit-canary']) expect((error as Error).message).not.toContain(value);
  });

  it('in production refuses a suppression threshold below 5 with everything else right', () => {
    const production = { ...base, ...productionBasics(), PASSERELLE_OIDC_ISSUER: 'https://idp.gov.example/realms/passerelle' };
    expect(loadConfig(production).metricsToken).toBeDefined();
    expect(() => loadConfig({ ...production, PASSERELLE_SUPPRESSION_THRESHOLD: '4' })).toThrow(
      /PASSERELLE_SUPPRESSION_THRESHOLD: must be an integer of at least 5/,
    );
  });
});
