import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { NextFunction, Request, Response } from 'express';
import { problems } from '@passerelle/http';
import { MINISTRIES, ROLES, type Principal } from '../domain/access.ts';
import type { ViewApiConfig } from '../config.ts';

const claims = z.object({
  sub: z.string().min(1).max(200),
  role: z.string(),
  ministry: z.string().optional(),
});

export type Verifier = (token: string) => Promise<Principal>;

/**
 * Bearer JWTs checked for signature, issuer, audience and expiry. A bad or missing token is
 * 401; a good token whose role or ministry claim gives no access is 403 (no rights, known caller).
 */
export function createVerifier(jwt: ViewApiConfig['jwt']): Verifier {
  const key: Uint8Array | JWTVerifyGetKey = jwt.key.kind === 'jwks' ? createRemoteJWKSet(new URL(jwt.key.url)) : new TextEncoder().encode(jwt.key.secret);
  const algorithms = jwt.key.kind === 'jwks' ? ['ES256', 'RS256', 'EdDSA'] : ['HS256'];
  return async (token) => {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, key as Uint8Array, { issuer: jwt.issuer, audience: jwt.audience, algorithms, requiredClaims: ['exp', 'sub'] }));
    } catch {
      throw problems.unauthorized('the bearer token is missing, expired or not valid for this API');
    }
    const parsed = claims.safeParse(payload);
    if (!parsed.success) throw problems.unauthorized('the bearer token lacks a subject or role claim');
    const role = ROLES.find((r) => r === parsed.data.role);
    if (!role) throw problems.forbidden('the token role has no access to this API');
    if (role !== 'ministry') return { subject: parsed.data.sub, role };
    const ministry = MINISTRIES.find((m) => m === parsed.data.ministry);
    if (!ministry) throw problems.forbidden('a ministry token must name a ministry this API knows');
    return { subject: parsed.data.sub, role, ministry };
  };
}

/** The caller, set by `authenticate` (kept in res.locals, per request). */
export function principalOf(res: Response): Principal {
  const principal = (res.locals as { principal?: Principal }).principal;
  if (!principal) throw problems.unauthorized();
  return principal;
}

export function authenticate(verify: Verifier) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header) : null;
    if (!match?.[1]) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="passerelle"');
      next(problems.unauthorized('send a bearer token in the Authorization header'));
      return;
    }
    try {
      (res.locals as { principal?: Principal }).principal = await verify(match[1]);
      next();
    } catch (error) {
      if ((error as { status?: number }).status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="passerelle", error="invalid_token"');
      next(error);
    }
  };
}
