import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/passerelle' };

describe('view-api configuration', () => {
  it('uses the documented defaults with a shared secret', () => {
    expect(loadConfig({ ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32) })).toMatchObject({
      port: 8080,
      viewSchema: 'view',
      apiSchema: 'view_api',
      disclosure: { threshold: 5, maxPerturbation: 4, medianMinimum: 10, auditBelow: 10 },
      traceUiUrl: 'http://127.0.0.1:9411/zipkin/traces',
      jwt: { issuer: 'passerelle-dev', audience: 'passerelle-view-api', key: { kind: 'secret' } },
    });
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
});
