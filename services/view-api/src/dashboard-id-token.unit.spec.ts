import { describe, expect, it } from 'vitest';

// The dashboard's own module is plain browser JavaScript (public/, no build step), typed here by hand.
interface IdTokenModule {
  CLOCK_SKEW_S: number;
  idTokenProblem(
    claims: Record<string, unknown>,
    expected: { issuer: string; clientId: string; nowS: number; nonce?: string },
  ): string | null;
}
const modulePath: string = '../public/id-token.js';
const { CLOCK_SKEW_S, idTokenProblem } = (await import(modulePath)) as IdTokenModule;

const issuer = 'http://127.0.0.1:8180/realms/passerelle';
const clientId = 'passerelle-dashboard';
const nowS = 1_800_000_000;
const expected = { issuer, clientId, nowS, nonce: 'n-0S6_WzA2Mj' };
const valid = { iss: issuer, aud: clientId, azp: clientId, exp: nowS + 300, iat: nowS, nonce: 'n-0S6_WzA2Mj', sub: 'u1' };

describe('the ID token the dashboard accepts before it shows who is signed in', () => {
  it('accepts one from the configured issuer, for the dashboard, unexpired, answering its nonce', () => {
    expect(idTokenProblem(valid, expected)).toBeNull();
    expect(idTokenProblem({ ...valid, aud: [clientId, 'passerelle-view-api'] }, expected)).toBeNull();
  });

  it('refuses one from another issuer', () => {
    expect(idTokenProblem({ ...valid, iss: 'http://127.0.0.1:8180/realms/master' }, expected)).toMatch(/another provider/);
  });

  it('refuses one for another client, in aud or azp', () => {
    expect(idTokenProblem({ ...valid, aud: 'passerelle-dev-tools', azp: 'passerelle-dev-tools' }, expected)).toMatch(/another client/);
    expect(idTokenProblem({ ...valid, azp: 'passerelle-dev-tools' }, expected)).toMatch(/another client/);
    expect(idTokenProblem({ ...valid, aud: [clientId, 'other'], azp: undefined }, expected)).toMatch(/another client/);
  });

  it('refuses an expired one, forgiving a little clock difference', () => {
    expect(idTokenProblem({ ...valid, exp: nowS - CLOCK_SKEW_S + 1 }, expected)).toBeNull();
    expect(idTokenProblem({ ...valid, exp: nowS - CLOCK_SKEW_S }, expected)).toBe('expired');
    expect(idTokenProblem({ ...valid, exp: undefined }, expected)).toBe('expired');
  });

  it('refuses one answering another sign-in, and checks no nonce on a renewal', () => {
    expect(idTokenProblem({ ...valid, nonce: 'other' }, expected)).toMatch(/this sign-in/);
    expect(idTokenProblem({ ...valid, nonce: undefined }, { issuer, clientId, nowS })).toBeNull();
  });
});
