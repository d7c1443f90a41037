import type { Request, Response } from 'express';
import type { z } from 'zod';
import { problems, type FieldProblem } from '@passerelle/http';
import { may, maySeeFlow, maySeeReferral, visibleConsentScopes, type Capability, type Principal } from '../domain/access.ts';
import {
  auditHeadSchema,
  auditPage,
  deadLetterPage,
  disclosureControlSchema,
  emptyQuery,
  flowSchema,
  initiativeDetailSchema,
  initiativeIdParam,
  initiativeListSchema,
  initiativesQuery,
  pageOnlyQuery,
  pipelineQuery,
  pipelineSchema,
  referralListQuery,
  referralPage,
  referralSchema,
  serviceGapPage,
  serviceGapsQuery,
  serviceGapSummarySchema,
  statsQuery,
  statsSchema,
  uuidParam,
  type StatsDimension,
} from '../domain/api.schemas.ts';
import { decodeCursor, encodeCursor } from '../domain/cursor.ts';
import type { ServicePipelineFigures } from '../domain/pipeline.ts';
import { DEFAULT_MEASURE, statsPeriodOf } from '../domain/stats-periods.ts';
import { perturbationTable, touchesSmallSlice, type DisclosureSettings } from '../domain/disclosure-control.ts';
import {
  disclosureNote,
  pillarsOf,
  presentFlow,
  presentInitiative,
  presentMilestone,
  presentServiceGap,
  presentStats,
  summariseGaps,
  type InitiativeFlagging,
} from '../domain/presenters.ts';
import { formatAuditHead, type AuditKind, type AuditTrail } from '../domain/audit-chain.ts';
import { UnkeyedViewError, type ViewRepository } from '../data-access/view.repository.ts';
import { AuditedProblem } from './audited-problem.ts';

export interface RouteContext {
  readonly principal: Principal;
  readonly query: Record<string, unknown>;
  readonly params: Record<string, string>;
}

export interface RouteResult {
  readonly body: unknown;
  /**
   * Set on person-level responses (the referral ids returned) and on aggregate reads that touched
   * a small slice: written to the audit table before the body is sent.
   */
  readonly audit?: { readonly referralIds: readonly string[]; readonly kind: AuditKind };
}

export interface RouteSpec {
  readonly path: string;
  readonly summary: string;
  readonly capability: Capability;
  readonly personLevel: boolean;
  readonly query: z.ZodType;
  readonly params?: Readonly<Record<string, z.ZodType>>;
  readonly response: z.ZodType;
  handle(context: RouteContext): Promise<RouteResult>;
}

export interface RouteDependencies {
  readonly view: ViewRepository;
  readonly audit: AuditTrail;
  readonly disclosure: DisclosureSettings;
  readonly traceUiUrl: string;
  /** The services' outbox and lag, read from their /metrics when the operator asks. */
  readonly pipeline: { read(): Promise<ServicePipelineFigures[]> };
  /** When an initiative is flagged (stale age, stated targets); `now` is read per request. */
  readonly initiatives: Omit<InitiativeFlagging, 'now'>;
}

function fieldProblems(error: z.ZodError, prefix = ''): FieldProblem[] {
  // Zod's messages name the expectation, never the value received.
  return error.issues.map((issue) => ({
    field:
      prefix +
      (issue.path.length > 0
        ? issue.path.join('.')
        : issue.code === 'unrecognized_keys'
          ? ((issue as { keys?: string[] }).keys?.join(',') ?? 'query')
          : 'query'),
    reason: issue.code === 'unrecognized_keys' ? 'is not a known parameter' : issue.message,
    // The keys themselves are the field here: the caller's own words, never logged.
    ...(issue.code === 'unrecognized_keys' && issue.path.length === 0 ? { unknownKey: true } : {}),
  }));
}

export function parseQuery(schema: z.ZodType, req: Request): Record<string, unknown> {
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) throw problems.validation(fieldProblems(parsed.error), 'the query has invalid parameters');
  return parsed.data as Record<string, unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const cursorShapes = {
  uuid: (key: string | number) => typeof key === 'string' && UUID.test(key),
  id: (key: string | number) => typeof key === 'number' && Number.isSafeInteger(key),
  position: (key: string | number) => {
    try {
      const value = JSON.parse(String(key)) as unknown;
      return (
        Array.isArray(value) &&
        value.length === 3 &&
        typeof value[0] === 'string' &&
        Number.isSafeInteger(value[1]) &&
        Number.isSafeInteger(value[2])
      );
    } catch {
      return false;
    }
  },
};

/** A cursor is checked for the key shape of its endpoint, so nothing malformed reaches SQL. */
function cursorKey(cursor: unknown, shape: keyof typeof cursorShapes): string | number | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(String(cursor));
  if (key === undefined || !cursorShapes[shape](key))
    throw problems.validation([{ field: 'cursor', reason: 'is not a cursor this API issued' }]);
  return key;
}

function nextCursor<T>(items: readonly T[], limit: number, keyOf: (item: T) => string | number): string | null {
  const last = items[items.length - 1];
  return items.length === limit && last !== undefined ? encodeCursor(keyOf(last)) : null;
}

const forbidden = () =>
  new AuditedProblem(problems.forbidden('your role may not see this resource'), { outcome: 'denied', reason: 'role-lacks-access' });
/** Missing and not visible get one answer, so an id's existence is never disclosed; the audit keeps the truth. */
const noSuchReferral = () =>
  new AuditedProblem(problems.notFound('no such referral'), { outcome: 'not_found', reason: 'no-such-referral' });
const notVisible = () => new AuditedProblem(problems.notFound('no such referral'), { outcome: 'denied', reason: 'not-visible' });

/** Every /v1 route, declared once: the app mounts them and the OpenAPI document describes them. */
export function v1Routes(deps: RouteDependencies): RouteSpec[] {
  const { view, disclosure, traceUiUrl } = deps;
  const flagging = (): InitiativeFlagging => ({ ...deps.initiatives, now: Date.now() });
  return [
    {
      path: '/v1/referrals',
      summary: 'Referrals, person-level in pseudonymous form, limited to what the role may see; audited',
      capability: 'referrals',
      personLevel: true,
      query: referralListQuery,
      response: referralPage,
      async handle({ principal, query }) {
        const q = query as z.infer<typeof referralListQuery>;
        const after = cursorKey(q.cursor, 'uuid');
        const items = await view.referrals(
          q,
          { consentScopes: visibleConsentScopes(principal.role), ministry: principal.role === 'ministry' ? principal.ministry : undefined },
          after === undefined ? undefined : String(after),
        );
        return {
          body: { items, nextCursor: nextCursor(items, q.limit, (r) => r.referralId) },
          audit: { referralIds: items.map((r) => r.referralId), kind: 'person-level' },
        };
      },
    },
    {
      path: '/v1/referrals/:id',
      summary: 'One referral, person-level; 404 when it does not exist or the caller may not see it (the same answer); audited',
      capability: 'referrals',
      personLevel: true,
      query: emptyQuery,
      params: { id: uuidParam },
      response: referralSchema,
      async handle({ principal, params }) {
        const referral = await view.referral(params['id'] ?? '');
        if (!referral) throw noSuchReferral();
        if (!maySeeReferral(principal, referral)) throw notVisible();
        return { body: referral, audit: { referralIds: [referral.referralId], kind: 'person-level' } };
      },
    },
    {
      path: '/v1/referrals/:id/flow',
      summary:
        'Each hop of a referral across ministries with latencies and trace links; 404 when it does not exist or the caller may not see it; audited',
      capability: 'referral-flow',
      personLevel: true,
      query: emptyQuery,
      params: { id: uuidParam },
      response: flowSchema,
      async handle({ principal, params }) {
        const id = params['id'] ?? '';
        const referral = await view.referral(id);
        const hops = await view.history(id);
        // A withdrawn referral's flow is served to nobody, operators included.
        if ((!referral && hops.length === 0) || (!referral && (await view.withdrawn(id)))) throw noSuchReferral();
        if (!maySeeFlow(principal, referral)) throw notVisible();
        return { body: presentFlow(id, hops, traceUiUrl), audit: { referralIds: [id], kind: 'person-level' } };
      },
    },
    {
      path: '/v1/stats/referrals',
      summary:
        'Referral counts and median days to acceptance, perturbed by the cell key method, small counts suppressed; small slices audited',
      capability: 'stats',
      personLevel: false,
      query: statsQuery,
      response: statsSchema,
      async handle({ query }) {
        const q = query as z.infer<typeof statsQuery>;
        const groupBy = (q.groupBy ? q.groupBy.split(',') : []) as StatsDimension[];
        const measure = q.measure ?? DEFAULT_MEASURE;
        const period = statsPeriodOf(q);
        const { rows, margins, overall } = await view
          .referralStats(groupBy, {
            measure,
            region: q.region,
            category: q.category,
            from: period.from ?? undefined,
            to: period.to ?? undefined,
          })
          .catch((error: unknown) => {
            if (error instanceof UnkeyedViewError)
              throw problems.unavailable('the view is being prepared for disclosure control; try again shortly');
            throw error;
          });
        const body = presentStats(groupBy, rows, overall, disclosure, { measure, period }, margins);
        // Who asked for which small slice is what an investigator needs, even though nothing exact left.
        const counts = [overall, ...rows, ...margins.flatMap((margin) => margin.rows)].map((row) => row.count);
        return touchesSmallSlice(counts, disclosure) ? { body, audit: { referralIds: [], kind: 'small-aggregate' } } : { body };
      },
    },
    {
      path: '/v1/stats/disclosure-control',
      summary:
        'How published counts are protected: the parameters and the whole perturbation table (public by design; the record keys are not)',
      capability: 'stats',
      personLevel: false,
      query: emptyQuery,
      response: disclosureControlSchema,
      async handle() {
        return { body: { ...disclosureNote(disclosure), perturbationTable: perturbationTable(disclosure.maxPerturbation).rows } };
      },
    },
    {
      path: '/v1/initiatives',
      summary: 'Strategy initiatives with their leading ministry and latest milestone, and progress per pillar',
      capability: 'initiatives',
      personLevel: false,
      query: initiativesQuery,
      response: initiativeListSchema,
      async handle({ query }) {
        const rows = await view.initiatives(query as z.infer<typeof initiativesQuery>);
        const items = rows.map((row) => presentInitiative(row, flagging()));
        return { body: { items, pillars: pillarsOf(items) } };
      },
    },
    {
      path: '/v1/initiatives/:id',
      summary: 'One initiative with its milestone history',
      capability: 'initiatives',
      personLevel: false,
      query: emptyQuery,
      params: { id: initiativeIdParam },
      response: initiativeDetailSchema,
      async handle({ params }) {
        const row = await view.initiative(params['id'] ?? '');
        if (!row) throw problems.notFound('no such initiative');
        return {
          body: {
            ...presentInitiative(row, flagging()),
            history: (await view.milestones(String(row['initiative_id']))).map(presentMilestone),
          },
        };
      },
    },
    {
      path: '/v1/service-gaps',
      summary: 'Service gaps, open and resolved',
      capability: 'service-gaps',
      personLevel: false,
      query: serviceGapsQuery,
      response: serviceGapPage,
      async handle({ query }) {
        const q = query as z.infer<typeof serviceGapsQuery>;
        const after = cursorKey(q.cursor, 'uuid');
        const now = Date.now();
        const items = (await view.serviceGaps(q, after === undefined ? undefined : String(after))).map((row) =>
          presentServiceGap(row, now),
        );
        return { body: { items, nextCursor: nextCursor(items, q.limit, (g) => g.gapId) } };
      },
    },
    {
      path: '/v1/service-gaps/summary',
      summary:
        'Service gaps for drill-down: per region open and resolved, open ones by severity and category; open ones by age; resolutions per month',
      capability: 'service-gaps',
      personLevel: false,
      query: emptyQuery,
      response: serviceGapSummarySchema,
      async handle() {
        return { body: summariseGaps(await view.serviceGapFacts(), Date.now()) };
      },
    },
    {
      path: '/v1/pipeline',
      summary:
        'For operators: the pipeline’s own latency per hop over a window, dead letters, each service’s outbox and the projector’s consumer lag',
      capability: 'pipeline',
      personLevel: false,
      query: pipelineQuery,
      response: pipelineSchema,
      async handle({ query }) {
        const { windowHours } = query as z.infer<typeof pipelineQuery>;
        const [latency, deadLetters, services] = await Promise.all([
          view.pipelineLatency(windowHours),
          view.deadLetterCount(),
          deps.pipeline.read(),
        ]);
        return {
          body: {
            windowHours,
            latency: {
              events: latency.events,
              acceptedToPublishedMs: latency.hops.acceptedToPublished,
              publishedToAppliedMs: latency.hops.publishedToApplied,
              acceptedToAppliedMs: latency.hops.acceptedToApplied,
            },
            deadLetters,
            services,
          },
        };
      },
    },
    {
      path: '/v1/dead-letters',
      summary: 'Messages the projector could not apply (codes and positions only)',
      capability: 'dead-letters',
      personLevel: false,
      query: pageOnlyQuery,
      response: deadLetterPage,
      async handle({ query }) {
        const q = query as z.infer<typeof pageOnlyQuery>;
        const after = cursorKey(q.cursor, 'position');
        const rows = await view.deadLetters(q.limit, after === undefined ? undefined : String(after));
        const items = rows.map((row) => ({
          sourceTopic: String(row['source_topic']),
          sourcePartition: Number(row['source_partition']),
          sourceOffset: Number(row['source_offset']),
          reasonCode: String(row['reason_code']),
          eventId: (row['event_id'] as string | null) ?? null,
          eventType: (row['event_type'] as string | null) ?? null,
          published: Boolean(row['published']),
          deadLetteredAt: (row['dead_lettered_at'] as Date).toISOString(),
        }));
        return {
          body: {
            items,
            nextCursor: nextCursor(items, q.limit, (d) => JSON.stringify([d.sourceTopic, d.sourcePartition, d.sourceOffset])),
          },
        };
      },
    },
    {
      path: '/v1/audit',
      summary:
        'The audit log of decisions on person-level data (allowed, denied, not found) and of small-slice reads, newest first (coordination office)',
      capability: 'audit',
      personLevel: false,
      query: pageOnlyQuery,
      response: auditPage,
      async handle({ query }) {
        const q = query as z.infer<typeof pageOnlyQuery>;
        const after = cursorKey(q.cursor, 'id');
        const rows = await deps.audit.page(q.limit, after as number | undefined);
        const items = rows.map(({ prevHash: _prevHash, hash: _hash, ...row }) => row);
        return { body: { items, nextCursor: nextCursor(items, q.limit, (a) => a.id) } };
      },
    },
    {
      path: '/v1/audit/head',
      summary:
        'The head of the audit hash chain (row id and hash) for an external store to keep; `audit verify --head` checks it (coordination office)',
      capability: 'audit',
      personLevel: false,
      query: emptyQuery,
      response: auditHeadSchema,
      async handle() {
        const head = await deps.audit.head();
        return { body: head ? { id: head.id, hash: head.hash, head: formatAuditHead(head) } : { id: null, hash: null, head: null } };
      },
    },
  ];
}

export function parseParams(spec: RouteSpec, req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, schema] of Object.entries(spec.params ?? {})) {
    const parsed = schema.safeParse(req.params[name]);
    if (!parsed.success)
      throw problems.validation([{ field: name, reason: 'is not a valid identifier' }], 'the path has an invalid parameter');
    out[name] = String(parsed.data);
  }
  return out;
}

export function checkCapability(principal: Principal, spec: RouteSpec): void {
  if (!may(principal, spec.capability)) throw forbidden();
}

export function requestIdOf(res: Response): string {
  return String(res.getHeader('X-Request-Id') ?? '');
}
