import express from 'express';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '@passerelle/db';
import { createHttpApp, finishApp, listen } from '@passerelle/http';
import { createLogger, type Logger } from '@passerelle/logging';
import type { ViewApiConfig } from './config.ts';
import { auditSeal } from './domain/audit-chain.ts';
import { AuditRepository } from './data-access/audit.repository.ts';
import { migrateViewApi } from './data-access/audit.migrations.ts';
import { ViewRepository } from './data-access/view.repository.ts';
import { auditedRoute } from './entry-points/audited-route.ts';
import { createVerifier } from './entry-points/auth.ts';
import { buildOpenApi } from './entry-points/openapi.ts';
import { v1Routes } from './entry-points/routes.ts';

export interface RunningViewApi {
  readonly url: string;
  readonly port: number;
  /** "GET /path" for every route the express app mounted (tests compare it with the OpenAPI document). */
  readonly routes: readonly string[];
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
}

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

/** The view API and dashboard in one process; tests start it on port 0. */
export async function start(config: ViewApiConfig, options: StartOptions = {}): Promise<RunningViewApi> {
  const logger = options.logger ?? createLogger({ service: 'view-api', level: config.logLevel });
  const migrator = createDatabase({ url: config.migrationDatabaseUrl ?? config.databaseUrl, poolMax: 1, applicationName: 'passerelle-view-api-migrate' });
  try {
    await migrateViewApi(migrator, config.apiSchema);
  } finally {
    await migrator.destroy();
  }
  const db = createDatabase({ url: config.databaseUrl, schema: config.viewSchema, applicationName: 'passerelle-view-api', poolMax: 10 });
  const view = new ViewRepository(db, config.viewSchema);
  const audit = new AuditRepository(db, config.apiSchema, auditSeal(config.audit.hmacKey));
  const routes = v1Routes({ view, audit, disclosure: config.disclosure, traceUiUrl: config.traceUiUrl });
  const openapi = buildOpenApi(routes);

  const { app } = createHttpApp({
    service: 'view-api',
    logger,
    ...(config.http ? { limits: config.http } : {}),
    readiness: [
      {
        name: 'view',
        required: true,
        check: async () => {
          await view.ping();
          return { ok: true };
        },
      },
    ],
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use(
    express.static(PUBLIC_DIR, {
      index: 'index.html',
      setHeaders: (res) => {
        res.setHeader('Content-Security-Policy', "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
        res.setHeader('X-Content-Type-Options', 'nosniff');
      },
    }),
  );

  const verify = createVerifier(config.jwt);
  for (const spec of routes) app.get(spec.path, auditedRoute(spec, { verify, audit, logger }));
  finishApp(app, logger);

  const server = await listen(app, config.port, config.host);
  logger.info({ port: server.port }, 'view-api listening');
  return {
    url: server.url,
    port: server.port,
    routes: mountedRoutes(app),
    async stop() {
      await server.stop(5_000);
      await db.destroy();
    },
  };
}

function mountedRoutes(app: express.Express): string[] {
  const stack = (app as unknown as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } }).router.stack;
  return stack.flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route?.path}`) : []));
}
