import { jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { Request, Response } from 'express';
import { accessTokenVerifier, jwsAlgorithm, problems } from '@passerelle/http';
import { MINISTRIES, ROLES, type Principal, type Role } from '../domain/access.ts';
import type { ViewApiConfig } from '../config.ts';
import { AuditedProblem } from './audited-problem.ts';

/**
 * The claims this API reads, checked as strictly as a request field before any of them reaches
 * the audit or a query: a signed token is only as clean as the provider that minted it, and
 * PostgreSQL refuses a NUL in text. `sub` is printable ASCII without spaces (user ids, UUIDs,
 * `client|id` forms); role, roles and ministry are codes, compared with the known ones afterwards.
 */
export const CLAIM_RULES = {
  sub: { pattern: /^[\x21-\x7e]+$/, max: 200, reason: 'must be 1 to 200 printable ASCII characters without spaces' },
  role: { pattern: /^[a-z][a-z0-9-]*$/, max: 64, reason: 'must be a role code of 1 to 64 lower-case letters, digits and hyphens' },
  /** `realm_access.roles` of the provider's tokens: Keycloak's realm roles, among them the one this API reads. */
  roles: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/,
    max: 64,
    reason: 'must be a list of at most 50 role names of 1 to 64 letters, digits, hyphens, underscores, dots and colons',
  },
  ministry: {
    pattern: /^[A-Z][A-Z0-9_]*$/,
    max: 64,
    reason: 'must be a ministry code of 1 to 64 upper-case letters, digits and underscores',
  },
} as const;
type ClaimName = keyof typeof CLAIM_RULES;
const CLAIM_FIELD: Record<ClaimName, string> = { sub: 'sub', role: 'role', roles: 'realm_access.roles', ministry: 'ministry' };

const claim = (name: ClaimName) => z.string().max(CLAIM_RULES[name].max).regex(CLAIM_RULES[name].pattern);
/** Development tokens carry one `role`. */
const devClaims = z.object({ sub: claim('sub'), role: claim('role'), ministry: claim('ministry').optional() });
/** The provider's tokens carry the user's realm roles; one of them must be this API's. */
const providerClaims = z.object({
  sub: claim('sub'),
  realm_access: z.object({ roles: z.array(claim('roles')).max(50) }),
  ministry: claim('ministry').optional(),
});

const badToken = (detail: string) => new AuditedProblem(problems.unauthorized(detail), { outcome: 'denied', reason: 'bad-token' });

/** 401 naming the first bad claim and its rule; the value is never quoted, in the answer or the audit. */
function badClaim(payload: JWTPayload, issue: z.core.$ZodIssue | undefined): AuditedProblem {
  const first = issue?.path[0];
  const name: ClaimName = first === 'realm_access' ? 'roles' : ((first ?? 'sub') as ClaimName);
  const present =
    name === 'roles'
      ? typeof payload['realm_access'] === 'object' && payload['realm_access'] !== null && 'roles' in payload['realm_access']
      : name in payload;
  const reason = present ? CLAIM_RULES[name].reason : 'is required';
  const field = CLAIM_FIELD[name];
  return new AuditedProblem(problems.unauthorized(`the bearer token's ${field} claim ${reason}`, [{ field: `token.${field}`, reason }]), {
    outcome: 'denied',
    reason: 'bad-token',
  });
}

export type Verifier = (token: string) => Promise<Principal>;

/**
 * Bearer JWTs: the identity provider's RS256 access tokens (JWKS, `iss`, `aud`, `exp`, `iat` no older
 * than the maximum age; the role from `realm_access.roles`) and, outside production, development
 * HS256 tokens (the `role` claim). The header's `alg` only picks which check applies; each check
 * pins its own algorithm. A bad or missing token is 401; a good token whose roles or ministry give
 * no access is 403 (no rights, known caller).
 */
export function createVerifier(config: Pick<ViewApiConfig, 'environment' | 'oidc' | 'jwt'>): Verifier {
  const provider = config.oidc ? accessTokenVerifier(config.oidc) : undefined;
  const dev = config.environment === 'production' ? undefined : config.jwt;
  const devKey = dev ? new TextEncoder().encode(dev.key.secret) : undefined;
  const invalid = 'the bearer token is missing, expired or not valid for this API';
  return async (token) => {
    const alg = jwsAlgorithm(token);
    if (alg === 'RS256' && provider) {
      const check = await provider(token);
      if (check.kind === 'unavailable') throw problems.unavailable('the identity provider’s keys cannot be fetched; retry shortly');
      if (check.kind === 'invalid') throw badToken(invalid);
      const parsed = providerClaims.safeParse(check.claims);
      if (!parsed.success) throw badClaim(check.claims, parsed.error.issues[0]);
      return principal(parsed.data.sub, roleOf(parsed.data.sub, parsed.data.realm_access.roles), parsed.data.ministry);
    }
    if (alg === 'HS256' && dev && devKey) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, devKey, {
          issuer: dev.issuer,
          audience: dev.audience,
          algorithms: ['HS256'],
          requiredClaims: ['exp', 'sub'],
        }));
      } catch {
        throw badToken(invalid);
      }
      const parsed = devClaims.safeParse(payload);
      if (!parsed.success) throw badClaim(payload, parsed.error.issues[0]);
      const role = ROLES.find((r) => r === parsed.data.role);
      if (!role) throw noAccess('the token role has no access to this API', parsed.data.sub);
      return principal(parsed.data.sub, role, parsed.data.ministry);
    }
    throw badToken(alg === 'HS256' && config.environment === 'production' ? 'development tokens are refused in production' : invalid);
  };
}

const noAccess = (detail: string, subject: string) =>
  new AuditedProblem(problems.forbidden(detail), { outcome: 'denied', reason: 'unknown-role', subject });

/** Exactly one of this API's roles among the user's realm roles; Keycloak's own (offline_access, …) are ignored. */
function roleOf(subject: string, roles: readonly string[]): Role {
  const ours = ROLES.filter((r) => roles.includes(r));
  if (ours.length === 1 && ours[0]) return ours[0];
  if (ours.length === 0) throw noAccess(`the token carries none of this API's roles (${ROLES.join(', ')}) in realm_access.roles`, subject);
  throw noAccess(`the token carries several of this API's roles (${ours.join(', ')}); a person must have exactly one`, subject);
}

function principal(subject: string, role: Role, ministryClaim: string | undefined): Principal {
  if (role !== 'ministry') return { subject, role };
  const ministry = MINISTRIES.find((m) => m === ministryClaim);
  if (!ministry) throw noAccess('a ministry token must name a ministry this API knows', subject);
  return { subject, role, ministry };
}

/** The caller of one request: 401 without a usable bearer token, 403 for a token whose role gives no access. */
export async function authenticateRequest(verify: Verifier, req: Request, res: Response): Promise<Principal> {
  const header = req.headers.authorization;
  const match = header ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header) : null;
  if (!match?.[1]) {
    res.setHeader('WWW-Authenticate', 'Bearer realm="passerelle"');
    // A malformed header is a token that could not be read; no header at all is no token.
    throw new AuditedProblem(problems.unauthorized('send a bearer token in the Authorization header'), {
      outcome: 'denied',
      reason: header ? 'bad-token' : 'no-token',
    });
  }
  try {
    return await verify(match[1]);
  } catch (error) {
    if ((error as { status?: number }).status === 401)
      res.setHeader('WWW-Authenticate', 'Bearer realm="passerelle", error="invalid_token"');
    throw error;
  }
}
