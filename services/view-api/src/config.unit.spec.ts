import { describe, expect, it } from 'vitest';
import { loadAuditVerifyConfig, loadConfig } from './config.ts';

const AUDIT_KEY = 'audit-key-audit-key-audit-key-0001';
const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/passerelle', PASSERELLE_AUDIT_HMAC_KEY: AUDIT_KEY };

describe('view-api configuration', () => {
  it('uses the documented defaults with a shared secret', () => {
    expect(loadConfig({ ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32) })).toMatchObject({
      port: 8080,
      viewSchema: 'view',
      apiSchema: 'view_api',
      disclosure: { threshold: 5, maxPerturbation: 4, medianMinimum: 10, auditBelow: 10 },
      traceUiUrl: 'http://127.0.0.1:9411/zipkin/traces',
      jwt: { issuer: 'passerelle-dev', audience: 'passerelle-view-api', key: { kind: 'secret' } },
      audit: { hmacKey: AUDIT_KEY },
    });
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
    expect(loadAuditVerifyConfig({ ...base, PASSERELLE_VIEW_API_SCHEMA: 'audit_x' })).toEqual({ databaseUrl: base.DATABASE_URL, apiSchema: 'audit_x', hmacKey: AUDIT_KEY });
    expect(() => loadAuditVerifyConfig({ DATABASE_URL: base.DATABASE_URL })).toThrow(/PASSERELLE_AUDIT_HMAC_KEY/);
  });

  it('prefers a JWKS URL when one is set', () => {
    expect(loadConfig({ ...base, PASSERELLE_JWT_JWKS_URL: 'https://idp.example/jwks.json' }).jwt.key).toEqual({ kind: 'jwks', url: 'https://idp.example/jwks.json' });
  });

  it('refuses to start without a key, with a short secret, or with a bad threshold, naming each variable', () => {
    expect(() => loadConfig(base)).toThrow(/PASSERELLE_JWT_SECRET/);
    expect(() => loadConfig({ ...base, PASSERELLE_JWT_SECRET: 'short' })).toThrow(/at least 32/);
    expect(() => loadConfig({ ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32), PASSERELLE_SUPPRESSION_THRESHOLD: 'x' })).toThrow(/PASSERELLE_SUPPRESSION_THRESHOLD/);
  });

  it('refuses unsafe disclosure control: a threshold below 5, no perturbation, a median on few cases', () => {
    const secret = { ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32) };
    expect(() => loadConfig({ ...secret, PASSERELLE_SUPPRESSION_THRESHOLD: '4' })).toThrow(/PASSERELLE_SUPPRESSION_THRESHOLD: must be an integer of at least 5/);
    expect(() => loadConfig({ ...secret, PASSERELLE_MAX_PERTURBATION: '0' })).toThrow(/PASSERELLE_MAX_PERTURBATION: must be an integer from 2 to 20: without perturbation/);
    expect(() => loadConfig({ ...secret, PASSERELLE_MAX_PERTURBATION: '1' })).toThrow(/PASSERELLE_MAX_PERTURBATION/);
    expect(() => loadConfig({ ...secret, PASSERELLE_SUPPRESSION_THRESHOLD: '8', PASSERELLE_MEDIAN_MINIMUM: '12' })).toThrow(/PASSERELLE_MEDIAN_MINIMUM/);
    expect(() => loadConfig({ ...secret, PASSERELLE_AUDIT_AGGREGATES_BELOW: '2' })).toThrow(/PASSERELLE_AUDIT_AGGREGATES_BELOW/);
    expect(loadConfig({ ...secret, PASSERELLE_SUPPRESSION_THRESHOLD: '7', PASSERELLE_MAX_PERTURBATION: '6', PASSERELLE_MEDIAN_MINIMUM: '20' }).disclosure).toEqual({
      threshold: 7,
      maxPerturbation: 6,
      medianMinimum: 20,
      auditBelow: 10,
    });
  });

  it('runs the audit migrations on PASSERELLE_MIGRATION_DATABASE_URL, DATABASE_URL when it is absent', () => {
    const secret = { ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32) };
    expect(loadConfig(secret).migrationDatabaseUrl).toBe(base.DATABASE_URL);
    expect(loadConfig({ ...secret, PASSERELLE_MIGRATION_DATABASE_URL: 'postgres://p_migrator:pw@db/p' }).migrationDatabaseUrl).toBe('postgres://p_migrator:pw@db/p');
    expect(() => loadConfig({ ...secret, PASSERELLE_MIGRATION_DATABASE_URL: 'http://p_migrator:pw-migrator@db/p' })).toThrow(/PASSERELLE_MIGRATION_DATABASE_URL: must use postgres:/);
    const { DATABASE_URL: _url, ...withoutUrl } = secret;
    expect(() => loadConfig(withoutUrl)).toThrow(/DATABASE_URL: is required/);
  });
});

