import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { Request, Response } from 'express';
import { problems } from '@passerelle/http';
import { MINISTRIES, ROLES, type Principal } from '../domain/access.ts';
import type { ViewApiConfig } from '../config.ts';
import { AuditedProblem } from './audited-problem.ts';

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
      throw new AuditedProblem(problems.unauthorized('the bearer token is missing, expired or not valid for this API'), { outcome: 'denied', reason: 'bad-token' });
    }
    const parsed = claims.safeParse(payload);
    if (!parsed.success) throw new AuditedProblem(problems.unauthorized('the bearer token lacks a subject or role claim'), { outcome: 'denied', reason: 'bad-token' });
    const subject = parsed.data.sub;
    const role = ROLES.find((r) => r === parsed.data.role);
    if (!role) throw new AuditedProblem(problems.forbidden('the token role has no access to this API'), { outcome: 'denied', reason: 'unknown-role', subject });
    if (role !== 'ministry') return { subject, role };
    const ministry = MINISTRIES.find((m) => m === parsed.data.ministry);
    if (!ministry) throw new AuditedProblem(problems.forbidden('a ministry token must name a ministry this API knows'), { outcome: 'denied', reason: 'unknown-role', subject });
    return { subject, role, ministry };
  };
}

/** The caller of one request: 401 without a usable bearer token, 403 for a token whose role gives no access. */
export async function authenticateRequest(verify: Verifier, req: Request, res: Response): Promise<Principal> {
  const header = req.headers.authorization;
  const match = header ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header) : null;
  if (!match?.[1]) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="passerelle"');
    // A malformed header is a token that could not be read; no header at all is no token.
    throw new AuditedProblem(problems.unauthorized('send a bearer token in the Authorization header'), { outcome: 'denied', reason: header ? 'bad-token' : 'no-token' });
  }
  try {
    return await verify(match[1]);
  } catch (error) {
    if ((error as { status?: number }).status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="passerelle", error="invalid_token"');
    throw error;
  }
}
