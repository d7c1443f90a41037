import express from 'express';
import { fileURLToPath } from 'node:url';
import { PARTIES } from '@passerelle/contracts';
import { createDatabase } from '@passerelle/db';
import { createHttpApp, finishApp, listen } from '@passerelle/http';
import { createLogger, type Logger } from '@passerelle/logging';
import { initiativesById, loadCatalogue } from '@passerelle/schemas';
import type { ViewApiConfig } from './config.ts';
import { auditSeal } from './domain/audit-chain.ts';
import { AuditRepository } from './data-access/audit.repository.ts';
import { migrateViewApi } from './data-access/audit.migrations.ts';
import { SubjectOpener } from './data-access/sealed-subjects.ts';
import { ViewRepository } from './data-access/view.repository.ts';
import { auditedRoute } from './entry-points/audited-route.ts';
import { createVerifier } from './entry-points/auth.ts';
import { buildOpenApi } from './entry-points/openapi.ts';
import { readPipelineSources } from './entry-points/pipeline-sources.ts';
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

/** The target dates the strategy catalogue states, by initiative id. */
function initiativeTargets(): ReadonlyMap<string, { date: string; source: string }> {
  const targets = [...initiativesById(loadCatalogue()).values()].flatMap((initiative) =>
    initiative.target ? [[initiative.id, initiative.target] as const] : [],
  );
  return new Map(targets);
}

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

/** The view API and dashboard in one process; tests start it on port 0. */
export async function start(config: ViewApiConfig, options: StartOptions = {}): Promise<RunningViewApi> {
  const logger = options.logger ?? createLogger({ service: 'view-api', level: config.logLevel });
  const migrator = createDatabase({
    url: config.migrationDatabaseUrl ?? config.databaseUrl,
    poolMax: 1,
    applicationName: 'passerelle-view-api-migrate',
  });
  try {
    await migrateViewApi(migrator, config.apiSchema);
  } finally {
    await migrator.destroy();
  }
  const db = createDatabase({ url: config.databaseUrl, schema: config.viewSchema, applicationName: 'passerelle-view-api', poolMax: 10 });
  const view = new ViewRepository(db, config.viewSchema, new SubjectOpener(db, config.keyEncryptionKey));
  const audit = new AuditRepository(db, config.apiSchema, auditSeal(config.audit.hmacKey));
  const routes = v1Routes({
    view,
    audit,
    disclosure: config.disclosure,
    traceUiUrl: config.traceUiUrl,
    initiatives: { staleAfterDays: config.initiativeStaleDays, targets: initiativeTargets() },
    pipeline: { read: () => readPipelineSources(config.pipelineSources, config.metricsToken) },
  });
  const openapi = buildOpenApi(routes);

  const { app } = createHttpApp({
    service: 'view-api',
    logger,
    ...(config.http ? { limits: config.http } : {}),
    metricsToken: config.metricsToken,
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
  // What the dashboard needs to sign people in: the provider and its public client, never a secret.
  app.get('/config.json', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(dashboardSettings(config));
  });
  // The page talks to the provider too (discovery, token endpoint); the sign-in itself is a navigation.
  const connectSources = ["'self'", ...(config.oidc ? [new URL(config.oidc.issuer).origin] : [])].join(' ');
  app.use(
    express.static(PUBLIC_DIR, {
      index: 'index.html',
      setHeaders: (res) => {
        res.setHeader(
          'Content-Security-Policy',
          `default-src 'self'; connect-src ${connectSources}; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        );
        res.setHeader('X-Content-Type-Options', 'nosniff');
      },
    }),
  );

  const verify = createVerifier(config);
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

/**
 * /config.json: the identity provider's issuer and the dashboard's client id, whether a pasted development
 * token is accepted, and the parties' names in English and French (schemas/parties.json) for the page to show.
 */
export function dashboardSettings(config: ViewApiConfig): {
  readonly oidc: { readonly issuer: string; readonly clientId: string } | null;
  readonly developmentTokens: boolean;
  readonly ministries: Readonly<Record<string, { readonly en: string; readonly fr: string }>>;
} {
  return {
    oidc: config.oidc ? { issuer: config.oidc.issuer, clientId: config.oidc.dashboardClientId } : null,
    developmentTokens: config.environment !== 'production' && config.jwt !== undefined,
    ministries: Object.fromEntries(PARTIES.map((party) => [party.id, party.displayName])),
  };
}

function mountedRoutes(app: express.Express): string[] {
  const stack = (app as unknown as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } }).router
    .stack;
  return stack.flatMap((layer) =>
    layer.route ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route?.path}`) : [],
  );
}
