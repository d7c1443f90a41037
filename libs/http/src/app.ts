import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { Registry, collectDefaultMetrics, Histogram } from 'prom-client';
import type { Logger } from '@passerelle/logging';
import { ProblemError, problems, toProblemBody } from './problem.ts';

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
}

/**
 * An express app with what every Passerelle service needs before its own routes: request
 * ids, access logs without bodies or query values, /healthz, /readyz, /metrics.
 * Mount routes, then call `finishApp` to add the 404 and problem-details handlers.
 */
export function createHttpApp(options: HttpAppOptions): { app: Express; metrics: Registry } {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const metrics = options.metrics ?? new Registry();
  if (!options.metrics) collectDefaultMetrics({ register: metrics });
  const duration = new Histogram({
    name: 'http_server_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [metrics],
  });

  app.use((req: Request, res: Response, next: NextFunction) => {
    const requestId = randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const began = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      duration.observe({ method: req.method, route: String(route), status: String(res.statusCode) }, seconds);
      if (req.path !== '/healthz' && req.path !== '/readyz' && req.path !== '/metrics') {
        // The path only: query strings and bodies may carry identifiers.
        options.logger.info({ requestId, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
      }
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: options.service });
  });

  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      (options.readiness ?? []).map(async (check) => {
        try {
          const result = await check.check();
          return { name: check.name, required: check.required, ...result };
        } catch (error) {
          return { name: check.name, required: check.required, ok: false, detail: (error as Error).message };
        }
      }),
    );
    const ready = results.every((result) => result.ok || !result.required);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
  });

  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metrics.contentType);
    res.send(await metrics.metrics());
  });

  return { app, metrics };
}

/** Adds the 404 handler and the one place where errors become problem details. */
export function finishApp(app: Express, logger: Logger): void {
  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(problems.notFound(`no route for ${req.method} ${req.path}`));
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = toProblem(error);
    if (problem.status >= 500) logger.error({ err: describe(error), path: req.path }, 'request failed');
    res.status(problem.status).type('application/problem+json').json(toProblemBody(problem, req.path));
  });
}

function toProblem(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  const candidate = error as { type?: string; status?: number; limit?: number };
  // body-parser's errors carry a type and a status; their messages may quote the body, so none is echoed.
  if (candidate.type === 'entity.too.large') return problems.tooLarge(`${candidate.limit ?? '?'} bytes`);
  if (candidate.type === 'entity.parse.failed') {
    return problems.validation([{ field: 'body', reason: 'is not valid JSON' }], 'the body could not be parsed');
  }
  if (candidate.type === 'encoding.unsupported' || candidate.type === 'charset.unsupported') {
    return problems.unsupportedMediaType(undefined, ['application/json; charset=utf-8']);
  }
  if (typeof candidate.status === 'number' && candidate.status >= 400 && candidate.status < 500) {
    return new ProblemError(candidate.status, 'Bad request', { detail: 'the request could not be read' });
  }
  return new ProblemError(500, 'Internal error', { detail: 'an unexpected error occurred; it has been logged' });
}

/** Error class, code and message only: never the stack's locals or a request body. */
function describe(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { type: error.name, code: (error as { code?: unknown }).code, message: error.message, stack: error.stack };
  return { type: typeof error };
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
