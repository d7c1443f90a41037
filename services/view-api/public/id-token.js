// The checks the dashboard makes on an ID token before it shows who is signed in (OpenID Connect Core
// 3.1.3.7). Its signature is not checked here: the page got it straight from the provider's token
// endpoint, and the view API verifies every access token it is sent.

/** Seconds of clock difference between the browser and the provider that are forgiven on `exp`. */
export const CLOCK_SKEW_S = 30;

/**
 * Why the ID token's claims must not be trusted, or null when they may: `iss` is the configured
 * issuer, `aud` holds the dashboard's client id (and `azp`, present or needed for several audiences,
 * names it), `exp` has not passed and, at sign-in, `nonce` is the one the page sent.
 */
export function idTokenProblem(claims, { issuer, clientId, nowS, nonce }) {
  if (claims.iss !== issuer) return 'issued by another provider';
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(clientId)) return 'issued for another client';
  if ((claims.azp !== undefined || audiences.length > 1) && claims.azp !== clientId) return 'authorized for another client';
  if (typeof claims.exp !== 'number' || claims.exp + CLOCK_SKEW_S <= nowS) return 'expired';
  if (nonce !== undefined && claims.nonce !== nonce) return 'not the answer to this sign-in';
  return null;
}
