import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { Counter, Registry, collectDefaultMetrics, Histogram } from 'prom-client';
import type { Logger } from '@passerelle/logging';
import { ProblemError, loggableFields, problems, toProblemBody, type ProblemBody } from './problem.ts';
import { TwoStageRateLimiter, parseRateQuotas, type RateDecision, type RateQuotas } from './rate-limit.ts';

/** Abuse limits every service applies; read from the environment by `readHttpLimits`. */
export interface HttpLimits {
  /**
   * Requests per minute per client address before authentication, and per verified subject after
   * it (see TwoStageRateLimiter); 0 disables the limit.
   */
  readonly rateLimitPerMinute: number;
  /** Subjects (or client ids) with a per-minute quota of their own instead of the default; 0 is not limited. */
  readonly rateLimitQuotas?: RateQuotas;
  /** How long a handler may take before the client gets 503; 0 disables the deadline. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { rateLimitPerMinute: 600, requestTimeoutMs: 10_000 };

/** The part of `@passerelle/config`'s EnvReader this needs (kept structural so the lib stays small). */
export interface HttpLimitsEnvReader {
  integer(variable: string, fallback: number, range?: { min?: number; max?: number }): number;
  optionalString(variable: string): string | undefined;
  /** Records a problem with a variable, reported with the others when the reader is done. */
  reject(variable: string, reason: string): void;
}

export const RATE_LIMIT_QUOTAS_VARIABLE = 'PASSERELLE_RATE_LIMIT_QUOTAS';

/** Reads PASSERELLE_RATE_LIMIT_PER_MINUTE, PASSERELLE_RATE_LIMIT_QUOTAS (`id=perMinute,…`) and PASSERELLE_REQUEST_TIMEOUT_MS. */
export function readHttpLimits(env: HttpLimitsEnvReader): HttpLimits {
  const limits: HttpLimits = {
    rateLimitPerMinute: env.integer('PASSERELLE_RATE_LIMIT_PER_MINUTE', DEFAULT_HTTP_LIMITS.rateLimitPerMinute, { min: 0, max: 1_000_000 }),
    requestTimeoutMs: env.integer('PASSERELLE_REQUEST_TIMEOUT_MS', DEFAULT_HTTP_LIMITS.requestTimeoutMs, { min: 0, max: 300_000 }),
  };
  const quotas = env.optionalString(RATE_LIMIT_QUOTAS_VARIABLE);
  if (quotas === undefined) return limits;
  const parsed = parseRateQuotas(quotas);
  if ('problem' in parsed) {
    env.reject(RATE_LIMIT_QUOTAS_VARIABLE, parsed.problem);
    return limits;
  }
  return { ...limits, rateLimitQuotas: parsed.quotas };
}

export const METRICS_TOKEN_FILE_VARIABLE = 'PASSERELLE_METRICS_TOKEN_FILE';

/** Shortest accepted metrics token, as for every other secret of the services. */
const MIN_METRICS_TOKEN_LENGTH = 32;

/**
 * Reads PASSERELLE_METRICS_TOKEN_FILE: a file holding the bearer token /metrics then asks for (the
 * same file Prometheus reads with `authorization.credentials_file`). Unset, /metrics is open, which
 * only development allows. The token is never echoed.
 */
export function readMetricsToken(env: {
  optionalFile(variable: string): string | undefined;
  reject(variable: string, reason: string): void;
}): string | undefined {
  const text = env.optionalFile(METRICS_TOKEN_FILE_VARIABLE);
  if (text === undefined) return undefined;
  const token = text.trim();
  if (token.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(token)) {
    env.reject(
      METRICS_TOKEN_FILE_VARIABLE,
      `names a file that must hold one token of at least ${MIN_METRICS_TOKEN_LENGTH} characters, without spaces`,
    );
    return undefined;
  }
  return token;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Whether the request carries `Authorization: Bearer <token>`, compared in constant time. */
function carriesToken(req: Request, token: string): boolean {
  const header = req.headers.authorization;
  if (header === undefined || !/^Bearer /i.test(header)) return false;
  return timingSafeEqual(digest(header.slice('Bearer '.length).trim()), digest(token));
}

/** Where the request's limiter waits for the service to say who the caller is. */
const RATE_LIMIT_STATE = Symbol('passerelle.rate-limit');
interface RateLimitState {
  readonly limiter: TwoStageRateLimiter;
  readonly address: string | undefined;
  readonly refused: Counter;
}

function setRateHeaders(res: Response, decision: RateDecision): void {
  res.setHeader('RateLimit-Policy', `${decision.limit};w=60`);
  res.setHeader('RateLimit-Limit', String(decision.limit));
  res.setHeader('RateLimit-Remaining', String(decision.remaining));
  res.setHeader('RateLimit-Reset', String(decision.resetSeconds));
}

/**
 * Call once the service has verified who is calling (the adapter's ministry, the view API's
 * token subject): the request then counts against that subject's quota instead of its client
 * address. Throws a 429 problem (with Retry-After set) when the subject's allowance is used up;
 * does nothing when the app has no rate limit.
 */
export function limitAuthenticated(res: Response, subject: string): void {
  const state = (res.locals as Record<symbol, RateLimitState | undefined> | undefined)?.[RATE_LIMIT_STATE];
  if (state === undefined) return;
  const decision = state.limiter.authenticated(state.address, subject);
  if (decision === undefined) {
    for (const header of ['RateLimit-Policy', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) res.removeHeader(header);
    return;
  }
  setRateHeaders(res, decision);
  if (decision.allowed) return;
  state.refused.inc({ scope: 'subject' });
  res.setHeader('Retry-After', String(decision.retryAfterSeconds));
  throw problems.tooManyRequests(decision.retryAfterSeconds, 'subject');
}

/** How long one run of the readiness checks answers /readyz. */
const READINESS_CACHE_MS = 1_000;

/** Paths probes and scrapers call: never limited, never logged as requests. */
const OPERATIONAL_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * For JSON answers: nothing may load, nothing may frame. A service serving pages (the
 * dashboard) sets its own policy on those files.
 */
const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export interface ReadinessCheck {
  readonly name: string;
  /** Required checks make /readyz answer 503 when they fail; others are only reported. */
  readonly required: boolean;
  check(): Promise<{ ok: boolean; detail?: string }>;
}

export interface HttpAppOptions {
  readonly service: string;
  readonly logger: Logger;
  readonly metrics?: Registry;
  readonly readiness?: readonly ReadinessCheck[];
  /** Rate limit and per-request deadline; DEFAULT_HTTP_LIMITS for what is not given. */
  readonly limits?: Partial<HttpLimits>;
  /** The bearer token /metrics asks for (readMetricsToken); without one /metrics is open, as in development. */
  readonly metricsToken?: string | undefined;
  /**
   * Where the service serves its problem pages (`/problems/`, see problemPages): problem `type`s are
   * then answered relative to it, so they resolve against the service's address. Unset, the
   * absolute PROBLEM_TYPE_BASE.
   */
  readonly problemTypeBase?: string;
  /**
   * Content negotiation of refusals: a service that speaks another error format (FHIR's
   * OperationOutcome) answers it to the requests that ask for it; undefined keeps problem details.
   */
  readonly renderProblem?: ProblemRenderer;
}

/** Another body for a refusal, with the same status; undefined answers RFC 7807 problem details. */
export type ProblemRenderer = (
  req: Request,
  problem: ProblemError,
  body: ProblemBody,
) => { readonly contentType: string; readonly body: unknown } | undefined;

const PROBLEM_RENDERER_LOCAL = 'passerelleProblemRenderer';

/** Sends a refusal as problem details, or in the format the app's renderer picks for this request. */
function sendProblem(app: Express, req: Request, res: Response, problem: ProblemError, typeBase: string | undefined): void {
  const body = toProblemBody(problem, instanceOf(req), typeBase);
  const renderer = (app.locals as Record<string, unknown>)[PROBLEM_RENDERER_LOCAL] as ProblemRenderer | undefined;
  const rendered = renderer?.(req, problem, body);
  res
    .status(problem.status)
    .type(rendered?.contentType ?? 'application/problem+json')
    .json(rendered?.body ?? body);
}

/** Where finishApp finds the app's problem type base. */
const PROBLEM_TYPE_BASE_LOCAL = 'passerelleProblemTypeBase';

function problemTypeBaseOf(app: Express): string | undefined {
  const base = (app.locals as Record<string, unknown>)[PROBLEM_TYPE_BASE_LOCAL];
  return typeof base === 'string' ? base : undefined;
}

/**
 * An express app with what every Passerelle service needs before its own routes: request
 * ids, security headers, a rate limit (per client address, then per verified subject once the
 * service calls `limitAuthenticated`), a per-request deadline, access logs without
 * bodies or query values, /healthz, /readyz, /metrics.
 * Mount routes, then call `finishApp` to add the 404 and problem-details handlers.
 */
export function createHttpApp(options: HttpAppOptions): { app: Express; metrics: Registry } {
  const app = express();
  app.disable('x-powered-by');
  if (options.problemTypeBase !== undefined) (app.locals as Record<string, unknown>)[PROBLEM_TYPE_BASE_LOCAL] = options.problemTypeBase;
  if (options.renderProblem !== undefined) (app.locals as Record<string, unknown>)[PROBLEM_RENDERER_LOCAL] = options.renderProblem;
  app.set('query parser', 'simple');
  const metrics = options.metrics ?? new Registry();
  if (!options.metrics) collectDefaultMetrics({ register: metrics });
  const duration = new Histogram({
    name: 'http_server_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [metrics],
  });

  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const limited = new Counter({
    name: 'http_server_rate_limited_total',
    help: 'Requests refused with 429, by what they were limited as (client address, subject)',
    labelNames: ['scope'],
    registers: [metrics],
  });
  const timedOut = new Counter({
    name: 'http_server_deadline_exceeded_total',
    help: 'Requests answered 503 because the handler passed its deadline',
    registers: [metrics],
  });

  app.use((req: Request, res: Response, next: NextFunction) => {
    const requestId = randomUUID();
    res.locals['requestId'] = requestId;
    res.setHeader('X-Request-Id', requestId);
    setSecurityHeaders(res);
    const began = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      duration.observe({ method: req.method, route: String(route), status: String(res.statusCode) }, seconds);
      if (!OPERATIONAL_PATHS.has(req.path)) {
        // The path only: query strings and bodies may carry identifiers.
        options.logger.info({ requestId, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
      }
    });
    next();
  });

  if (limits.rateLimitPerMinute > 0) {
    const limiter = new TwoStageRateLimiter(limits.rateLimitPerMinute, limits.rateLimitQuotas);
    app.use((req: Request, res: Response, next: NextFunction) => {
      if (OPERATIONAL_PATHS.has(req.path)) {
        next();
        return;
      }
      // Before anything reads the credential: per client address, so made-up tokens buy nothing.
      const address = req.socket.remoteAddress;
      const decision = limiter.beforeAuthentication(address);
      setRateHeaders(res, decision);
      if (decision.allowed) {
        (res.locals as Record<symbol, RateLimitState>)[RATE_LIMIT_STATE] = { limiter, address, refused: limited };
        next();
        return;
      }
      limited.inc({ scope: 'client address' });
      res.setHeader('Retry-After', String(decision.retryAfterSeconds));
      next(problems.tooManyRequests(decision.retryAfterSeconds, 'client address'));
    });
  }

  if (limits.requestTimeoutMs > 0) {
    app.use((req: Request, res: Response, next: NextFunction) => {
      const timer = setTimeout(() => {
        if (res.headersSent) return;
        timedOut.inc();
        options.logger.warn(
          {
            requestId: res.locals['requestId'] as string,
            method: req.method,
            route: instanceOf(req) ?? 'unmatched',
            ms: limits.requestTimeoutMs,
          },
          'request passed its deadline',
        );
        const problem = problems.unavailable(
          'the request did not complete in time; it may still complete, so retry with the same Idempotency-Key',
        );
        res.setHeader('Retry-After', '1');
        sendProblem(app, req, res, problem, options.problemTypeBase);
      }, limits.requestTimeoutMs);
      const clear = (): void => clearTimeout(timer);
      res.once('finish', clear);
      res.once('close', clear);
      next();
    });
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: options.service });
  });

  // Probes are not rate limited, so the checks behind them run at most once a second, whoever asks.
  let readiness: { readonly at: number; readonly answer: Promise<{ ready: boolean; checks: unknown[] }> } | undefined;
  const readinessAnswer = async (): Promise<{ ready: boolean; checks: unknown[] }> => {
    const results = await Promise.all(
      (options.readiness ?? []).map(async (check) => {
        try {
          const result = await check.check();
          return { name: check.name, required: check.required, ...result };
        } catch (error) {
          // The error's class and code only: a driver message can quote SQL or a connection string.
          return { name: check.name, required: check.required, ok: false, detail: errorLabel(error) };
        }
      }),
    );
    return { ready: results.every((result) => result.ok || !result.required), checks: results };
  };

  app.get('/readyz', async (_req, res) => {
    if (readiness === undefined || Date.now() - readiness.at >= READINESS_CACHE_MS)
      readiness = { at: Date.now(), answer: readinessAnswer() };
    const { ready, checks } = await readiness.answer;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', async (req, res, next) => {
    if (options.metricsToken !== undefined && !carriesToken(req, options.metricsToken)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      next(problems.unauthorized('/metrics asks for the bearer token of PASSERELLE_METRICS_TOKEN_FILE'));
      return;
    }
    res.setHeader('Content-Type', metrics.contentType);
    res.send(await metrics.metrics());
  });

  return { app, metrics };
}

/** Adds the 404 handler and the one place where errors become problem details. */
export function finishApp(app: Express, logger: Logger): void {
  const typeBase = problemTypeBaseOf(app);
  app.use((req: Request, _res: Response, next: NextFunction) => {
    // The method only: a path can carry whatever a caller typed into it.
    next(problems.notFound(`no ${req.method} route at this path`));
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = res.locals['requestId'] as string | undefined;
    if (res.headersSent) {
      // The deadline answered already (or a stream broke midway): nothing more may be written.
      logger.warn({ requestId, err: describe(error), path: req.path }, 'error after the answer was sent');
      if (!res.writableEnded) res.destroy();
      return;
    }
    const problem = toProblem(error, requestId);
    if (problem.status >= 500) logger.error({ requestId, err: describe(error), path: req.path }, 'request failed');
    // Which fields failed, by name only: a reason or a value could quote what the caller sent.
    else if (problem.errors.length > 0)
      logger.info({ requestId, status: problem.status, ...loggableFields(problem.errors) }, 'request refused');
    if (problem.status === 503) res.setHeader('Retry-After', '5');
    sendProblem(app, req, res, problem, typeBase);
  });
}

/**
 * The route's pattern (`/v1/referrals/:id`), never the concrete path: a path segment can hold an
 * identifier or whatever a caller typed, and an answer must not echo it. Unmatched: none.
 */
function instanceOf(req: Request): string | undefined {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  return typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : undefined;
}

function toProblem(error: unknown, requestId: string | undefined): ProblemError {
  if (error instanceof ProblemError) return error;
  const candidate = error as { type?: string; status?: number; limit?: number };
  // body-parser's errors carry a type and a status; their messages may quote the body, so none is echoed.
  if (candidate.type === 'entity.too.large') return problems.tooLarge(`${candidate.limit ?? '?'} bytes`);
  if (candidate.type === 'entity.parse.failed') {
    return problems.validation([{ field: 'body', reason: 'is not valid JSON' }], 'the body could not be parsed');
  }
  if (candidate.type === 'encoding.unsupported') {
    const encoding = (error as { encoding?: unknown }).encoding;
    return problems.unsupportedContentEncoding(typeof encoding === 'string' ? encoding : '', []);
  }
  if (candidate.type === 'charset.unsupported') return problems.unsupportedMediaType('charset', ['application/json; charset=utf-8']);
  // zlib's codes (Z_DATA_ERROR, Z_BUF_ERROR): a compressed body that does not decompress.
  if (typeof (error as { code?: unknown }).code === 'string' && /^Z_[A-Z_]+$/.test((error as { code: string }).code)) {
    return problems.validation(
      [{ field: 'body', reason: 'is not valid data for its Content-Encoding' }],
      'the body could not be decompressed',
    );
  }
  if (isUnavailable(error))
    return problems.unavailable('a service this one depends on is unavailable right now; retry later with the same Idempotency-Key');
  if (error instanceof URIError)
    return problems.validation(
      [{ field: 'path', reason: 'is not a valid percent-encoded URI path' }],
      'the request path could not be decoded',
    );
  if (typeof candidate.status === 'number' && candidate.status >= 400 && candidate.status < 500) {
    return new ProblemError(candidate.status, 'Bad request', {
      detail: 'the request could not be read',
      errors: [{ field: 'request', reason: 'could not be read' }],
    });
  }
  // The request id lets an operator find the logged error; nothing of the error itself is answered.
  return new ProblemError(500, 'Internal error', {
    detail: 'an unexpected error occurred; it has been logged',
    ...(requestId ? { extra: { requestId } } : {}),
  });
}

/**
 * Errors that say a dependency cannot be reached right now, not that the request is wrong:
 * PostgreSQL's SQLSTATE classes 08 (connection exception), 53 (insufficient resources, such as
 * too many connections) and 57P0x (shutdown), socket errors, and a pool that timed out.
 */
function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (/^(08|53)[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code))) return true;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN'].includes(code)) return true;
  return error.name === 'KnexTimeoutError';
}

/**
 * Error class, code and stack frames only: the message line is left out unless the error is
 * one of ours, since a driver's message can quote SQL text or the values of a row.
 */
function describe(error: unknown): Record<string, unknown> {
  if (error instanceof ProblemError) return { type: error.name, status: error.status, message: error.message };
  if (error instanceof Error) {
    const frames = (error.stack ?? '')
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .join('\n');
    return { type: error.name, code: (error as { code?: unknown }).code, stack: frames };
  }
  return { type: typeof error };
}

function errorLabel(error: unknown): string {
  if (!(error instanceof Error)) return 'check failed';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? `${error.name} (${String(code)})` : error.name;
}

/** Headers every answer carries; the dashboard's static files replace the CSP and cache policy with their own. */
function setSecurityHeaders(res: Response): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', API_CONTENT_SECURITY_POLICY);
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  // Answers carry pseudonyms, referral ids and audit rows: no cache on the way may keep them.
  res.setHeader('Cache-Control', 'no-store');
}

/** Answers 415 unless the request's media type is one of `accepted`. */
export function requireContentType(accepted: readonly string[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const header = req.headers['content-type'];
    const mediaType = header?.split(';')[0]?.trim().toLowerCase();
    if (!mediaType || !accepted.includes(mediaType)) {
      next(problems.unsupportedMediaType(header, accepted));
      return;
    }
    next();
  };
}
