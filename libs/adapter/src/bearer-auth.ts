import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { limitAuthenticated, looksLikeJwt, problems } from '@passerelle/http';
import type { AccessTokenVerifier } from './access-token.ts';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

const CHALLENGE = 'Bearer realm="passerelle"';

function bearerOf(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer ([\x21-\x7e]+)$/i.exec(header.trim());
  return match?.[1];
}

/**
 * Accepts only requests carrying `Authorization: Bearer <the ministry's token>`. Both sides
 * are hashed first so the comparison takes the same time whatever the length or content of
 * what was sent. A request that passes counts against `subject`'s rate limit (the ministry
 * the token stands for, which PASSERELLE_RATE_LIMIT_QUOTAS may name) instead of its address.
 */
export function requireBearerToken(token: string, subject: string) {
  return requireMinistryCredential({ ministry: subject, staticToken: token });
}

export interface MinistryCredentialOptions {
  /** The adapter's ministry: an access token must carry it as its `ministry` claim. */
  readonly ministry: string;
  /** A static bearer token (development only; the configuration refuses one in production). */
  readonly staticToken?: string | undefined;
  /** Checks OAuth2 access tokens from the identity provider (client credentials of the ministry's systems). */
  readonly accessTokens?: AccessTokenVerifier | undefined;
}

/**
 * The adapter's door: an OAuth2 access token for this adapter (`aud`) from the configured issuer,
 * or the static token where one is configured. A missing, unknown, expired or foreign-audience
 * credential is 401 with a challenge; a valid token of another ministry is 403 (known caller, no
 * right here); keys that cannot be fetched are 503 (retry). A request that passes counts against
 * the ministry's rate limit (PASSERELLE_RATE_LIMIT_QUOTAS) instead of its address.
 */
export function requireMinistryCredential(options: MinistryCredentialOptions) {
  const expected = options.staticToken === undefined ? undefined : digest(options.staticToken);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.headers.authorization;
    const token = bearerOf(header);
    const refuse = (): void => {
      res.setHeader('WWW-Authenticate', CHALLENGE);
      next(
        problems.unauthorized(
          header === undefined ? 'send the ministry credential as a bearer token' : 'the credential is not valid for this adapter',
        ),
      );
    };
    if (token === undefined) return refuse();
    if (expected !== undefined && timingSafeEqual(digest(token), expected)) {
      limitAuthenticated(res, options.ministry);
      return next();
    }
    if (options.accessTokens === undefined || !looksLikeJwt(token)) return refuse();
    const check = await options.accessTokens(token);
    if (check.kind === 'unavailable')
      return next(problems.unavailable('the identity provider cannot be reached to check the token; retry later'));
    if (check.kind === 'invalid') return refuse();
    if (check.ministry !== options.ministry) return next(problems.forbidden("the token was issued to another ministry's systems"));
    limitAuthenticated(res, options.ministry);
    next();
  };
}
