import type { Request, RequestHandler, Response } from 'express';
import { limitAuthenticated } from '@passerelle/http';
import type { Logger } from '@passerelle/logging';
import type { Principal } from '../domain/access.ts';
import type { AuditEntry, AuditTrail } from '../domain/audit-chain.ts';
import { decisionOf } from './audited-problem.ts';
import { authenticateRequest, type Verifier } from './auth.ts';
import { checkCapability, parseParams, parseQuery, requestIdOf, type RouteSpec } from './routes.ts';

export interface AuditedRouteDependencies {
  readonly verify: Verifier;
  readonly audit: AuditTrail;
  readonly logger: Logger;
}

/**
 * One /v1 route: authenticate, check the role, validate, answer. On a person-level route every
 * decision is recorded before the answer leaves (allowed, denied, not found); if the record
 * cannot be written the caller gets a 500 and no data.
 */
export function auditedRoute(spec: RouteSpec, deps: AuditedRouteDependencies): RequestHandler {
  const record = async (entry: AuditEntry): Promise<void> => {
    const head = await deps.audit.append(entry);
    // The head alone (no content), for an external store to keep.
    deps.logger.info({ auditHead: { id: head.id, hash: head.hash } }, 'audit head');
  };

  return async (req: Request, res: Response) => {
    let principal: Principal | undefined;
    try {
      principal = await authenticateRequest(deps.verify, req, res);
      // From here the request counts against the token's subject, not the client address.
      limitAuthenticated(res, principal.subject);
      checkCapability(principal, spec);
      const params = parseParams(spec, req);
      const query = parseQuery(spec.query, req);
      const result = await spec.handle({ principal, query, params });
      if (spec.personLevel || result.audit) {
        await record({
          kind: result.audit?.kind ?? 'person-level',
          outcome: 'allowed',
          status: 200,
          reason: null,
          subject: principal.subject,
          role: principal.role,
          ministry: principal.ministry ?? null,
          endpoint: spec.path,
          filters: filtersOf(query, params),
          referralIds: result.audit?.referralIds ?? [],
          requestId: requestIdOf(res),
        });
      }
      res.setHeader('Cache-Control', 'no-store');
      res.json(result.body);
    } catch (error) {
      const decision = spec.personLevel ? decisionOf(error) : undefined;
      if (decision) {
        await record({
          kind: 'person-level',
          outcome: decision.outcome,
          status: decision.status,
          reason: decision.reason,
          subject: principal?.subject ?? decision.subject ?? null,
          role: principal?.role ?? null,
          ministry: principal?.ministry ?? null,
          endpoint: spec.path,
          // Only values that passed validation, and only from a caller whose token was verified.
          filters: principal ? validatedFilters(spec, req) : {},
          referralIds: [],
          requestId: requestIdOf(res),
        });
      }
      throw error;
    }
  };
}

/** The validated query and path values; never the cursor (an opaque position, not a choice of data). */
function filtersOf(query: Record<string, unknown>, params: Record<string, string>): Record<string, unknown> {
  const { cursor: _cursor, ...filters } = query;
  return { ...filters, ...params };
}

function validatedFilters(spec: RouteSpec, req: Request): Record<string, unknown> {
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch {
      return undefined;
    }
  };
  return filtersOf(attempt(() => parseQuery(spec.query, req)) ?? {}, attempt(() => parseParams(spec, req)) ?? {});
}
