import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';

/** How a resource server checks an identity provider's access tokens: its issuer and keys, and the audience naming the server. */
export interface AccessTokenSettings {
  /** The `iss` every token must carry (Keycloak: `<base>/realms/<realm>`). */
  readonly issuer: string;
  /** The provider's JSON Web Key Set (Keycloak: `<issuer>/protocol/openid-connect/certs`). */
  readonly jwksUrl: string;
  /** The `aud` a token must name: this server's client id. */
  readonly audience: string;
  /** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds. */
  readonly clockToleranceSeconds: number;
  /** When set, `iat` is required and may be at most this many seconds old, whatever `exp` says. */
  readonly maxTokenAgeSeconds?: number | undefined;
}

export type AccessTokenCheck =
  | { readonly kind: 'valid'; readonly claims: JWTPayload }
  | { readonly kind: 'invalid' }
  /** The keys could not be fetched: the token may be good, the caller should retry. */
  | { readonly kind: 'unavailable' };

export type AccessTokenVerifier = (token: string) => Promise<AccessTokenCheck>;

/**
 * RS256 access tokens checked against the issuer's keys, which jose fetches once and caches
 * (fetched again, at most every 30 s, when a token names a key it does not hold: a rotation),
 * then `iss`, `aud`, `exp` (and `iat` when a maximum age is set) with a small clock skew.
 * The claims come back unchecked beyond those: each server validates the ones it reads.
 */
export function accessTokenVerifier(settings: AccessTokenSettings): AccessTokenVerifier {
  const keys = createRemoteJWKSet(new URL(settings.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000, timeoutDuration: 5_000 });
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: ['RS256'],
        clockTolerance: settings.clockToleranceSeconds,
        requiredClaims: settings.maxTokenAgeSeconds === undefined ? ['exp'] : ['exp', 'iat'],
        ...(settings.maxTokenAgeSeconds === undefined ? {} : { maxTokenAge: settings.maxTokenAgeSeconds }),
      });
      // Keycloak signs ID and refresh tokens with the same keys: only an access token ("Bearer") opens the API.
      if (payload['typ'] !== 'Bearer') return { kind: 'invalid' };
      return { kind: 'valid', claims: payload };
    } catch (error) {
      return aboutTheToken(error) ? { kind: 'invalid' } : { kind: 'unavailable' };
    }
  };
}

/**
 * A JOSE error is about the token (signature, claims, expiry, unknown key). A timeout, a refused
 * connection, a key set answered with another status than 200 (jose's generic error) or a key set
 * that is not one are about reaching the provider: a good token must not be told it is bad then.
 */
function aboutTheToken(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return false;
  return !(error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error.code === 'ERR_JOSE_GENERIC');
}

/** Three base64url segments: a JWS, not a static token (which is one segment). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** The `alg` of a JWS's protected header, unverified: to pick the verifier, never to trust the token. */
export function jwsAlgorithm(token: string): string | undefined {
  if (!looksLikeJwt(token)) return undefined;
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as unknown;
    const alg = typeof header === 'object' && header !== null ? (header as { alg?: unknown }).alg : undefined;
    return typeof alg === 'string' ? alg : undefined;
  } catch {
    return undefined;
  }
}
