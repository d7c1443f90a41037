import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/passerelle' };

describe('view-api configuration', () => {
  it('uses the documented defaults with a shared secret', () => {
    expect(loadConfig({ ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32) })).toMatchObject({
      port: 8080,
      viewSchema: 'view',
      apiSchema: 'view_api',
      suppressionThreshold: 5,
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
    expect(() => loadConfig({ ...base, PASSERELLE_JWT_SECRET: 'a'.repeat(32), PASSERELLE_SUPPRESSION_THRESHOLD: '0' })).toThrow(/PASSERELLE_SUPPRESSION_THRESHOLD/);
  });
});
