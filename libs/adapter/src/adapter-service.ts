import { randomUUID } from 'node:crypto';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import { EventSerde, RegistryClient, type EventType, type TopicOwner } from '@passerelle/contracts';
import { createDatabase, migrate, migrateKeyStore, ping, type Knex } from '@passerelle/db';
import { createHttpApp, finishApp, listen, mountedRoutes, problemPages, type MountedRoute, type ProblemRenderer } from '@passerelle/http';
import { OutboxRelay, createIdempotentProducer, createKafka, kafkaAccessOf, outboxMigrations } from '@passerelle/kafka';
import { createLogger, type Logger, type LoggerOptions } from '@passerelle/logging';
import { initiativesById, loadCatalogue, type Initiative } from '@passerelle/schemas';
import { Acceptance, type AcceptanceResult, type NativeRecord } from './acceptance.ts';
import { acceptanceMigrations } from './acceptance.migrations.ts';
import type { GroupCommitOptions } from './group-commit.ts';
import type { AdapterConfig } from './adapter-config.ts';
import { accessTokenVerifier } from './access-token.ts';
import { requireMinistryCredential } from './bearer-auth.ts';
import { anyBrokerReachable } from './broker-probe.ts';
import { currentTraceContext, type MappingContext } from './canonical-event.ts';
import { commonContractList, commonContracts } from './common/common.contracts.ts';
import { mountCommonRoutes } from './common/common.routes.ts';
import { buildAdapterOpenApi, PROBLEM_TYPE_BASE_PATH } from './openapi.ts';
import type { OperationContract, RouteContract } from './route-contract.ts';
import { Pseudonymiser } from './pseudonymiser.ts';
import { checkKeyEncryptionKey } from './subject-sealing.ts';
import { csvBody, jsonBody } from './request-body.ts';
import {
  ATTR_PASSERELLE_EVENTS,
  ATTR_PASSERELLE_MINISTRY,
  ATTR_PASSERELLE_RECORDS,
  ATTR_PASSERELLE_REPLAYED,
  ATTR_PASSERELLE_ROUTE,
} from './semconv.ts';

const tracer = trace.getTracer('@passerelle/adapter');

/** Size limits: one native record, and one batch file. */
export const JSON_BODY_LIMIT = '64kb';
export const CSV_BODY_LIMIT = '2mb';

/** What routes get from the machinery: parsing guards, the mapping context, and acceptance. */
export interface AdapterKit {
  readonly ministry: TopicOwner;
  readonly pseudonymiser: Pseudonymiser;
  readonly logger: Logger;
  readonly initiatives: ReadonlyMap<string, Initiative>;
  /** Content type, size, UTF-8, JSON and depth guards; `req.body` is the parsed value after them. */
  json(accepted?: readonly string[], limit?: string): RequestHandler[];
  /** The same for text/csv; `req.body` is the decoded text. */
  csv(limit?: string): RequestHandler[];
  /** A mapping context for one request: fresh ids, the receive time, the current trace context. */
  mappingContext(): MappingContext;
  /** Accepts the records in one transaction and answers 202 with the event ids (or the original answer). */
  accept(req: Request, res: Response, records: readonly NativeRecord[]): Promise<void>;
  /**
   * The same acceptance without answering: the result, or the refusal thrown (409, 403…). For a
   * request made of parts answered one by one (a FHIR batch); the Idempotency-Key is not read.
   */
  acceptRecords(req: Request, records: readonly NativeRecord[]): Promise<AcceptanceResult>;
}

export interface AdapterDefinition {
  /** Service name in logs, metrics and traces, e.g. `adapter-justice`. */
  readonly service: string;
  readonly ministry: TopicOwner;
  /** POST /service-gaps and /service-gaps/resolutions. */
  readonly serviceGaps: boolean;
  /** POST /initiative-milestones, limited to the initiatives this ministry leads. */
  readonly milestones: boolean;
  /** POST /referrals/status-changes and /referrals/consent-withdrawals in the common JSON shape. */
  readonly referralLifecycle?: { readonly referenceField: string };
  /** The ministry's own POST routes as `routes` mounts them: paths, body schemas and example fixtures (route-contract.ts). */
  readonly contracts: readonly RouteContract[];
  /** The adapter's fixtures folder, where the common routes' examples are read by name (common.contracts.ts). */
  readonly fixtures: URL;
  /** The ministry's own routes, mounted behind the bearer-token check. */
  routes(router: Router, kit: AdapterKit): void;
  /** Routes other than acceptance POSTs (mounted by `routes` or `publicRoutes`), described in /openapi.json. */
  readonly operations?: readonly OperationContract[];
  /** Routes served without a credential, mounted before the bearer-token check (a FHIR server's metadata). */
  publicRoutes?(router: Router, kit: AdapterKit): void;
  /** Refusals in another format for the requests that ask for it (FHIR OperationOutcome); problem details otherwise. */
  readonly renderProblem?: ProblemRenderer;
}

/** Every POST route the adapter mounts, its own first, as its OpenAPI document describes them. */
export function adapterContracts(definition: AdapterDefinition): RouteContract[] {
  return [...definition.contracts, ...commonContractList(commonContracts(definition, definition.fixtures))];
}

export interface StartOptions {
  /** Where JSON log lines go (stdout by default); tests capture them. */
  readonly logDestination?: LoggerOptions['destination'];
  readonly relayPollIntervalMs?: number;
  readonly relayMaxBackoffMs?: number;
  /** How long the relay waits after a commit for more before publishing (OutboxRelay's lingerMs). */
  readonly relayLingerMs?: number;
  /** Group commit of acceptances: window, group size and groups in flight (group-commit.ts has the defaults). */
  readonly groupCommit?: Pick<GroupCommitOptions, 'windowMs' | 'maxGroupSize' | 'maxGroupsInFlight'>;
  /** How long stop() lets the relay drain what is left. */
  readonly flushMs?: number;
}

export interface RunningAdapter {
  readonly url: string;
  readonly port: number;
  readonly logger: Logger;
  /** Every route the HTTP app mounted, read from express itself (tests compare it with /openapi.json). */
  readonly routes: readonly MountedRoute[];
  /** Stops accepting, lets requests in flight finish, drains the relay, closes the pool. */
  stop(): Promise<void>;
}

const MIGRATIONS_TABLE = 'adapter_migrations';

/** Brings an adapter's schema to its latest migration (outbox, idempotency keys, source ids); run as the migrator. */
export async function migrateAdapter(db: Knex, schema: string): Promise<string[]> {
  return migrate(db, [...outboxMigrations, ...acceptanceMigrations], MIGRATIONS_TABLE, schema);
}

/**
 * Runs the migrations on a short-lived pool of the migration URL (the migrator role), then closes
 * it: the adapter's own schema, and the key store it creates the referrals' data keys in (shared
 * with the projector; its migration is safe to run from every service at once), whose keys must
 * be wrapped under this adapter's key-encryption key.
 */
async function migrateAs(config: AdapterConfig, service: string): Promise<void> {
  const migrator = createDatabase({
    url: config.migrationDatabaseUrl ?? config.databaseUrl,
    schema: config.databaseSchema,
    poolMax: 1,
    applicationName: `${service}-migrate`,
  });
  try {
    await migrateAdapter(migrator, config.databaseSchema);
    await migrateKeyStore(migrator);
    await checkKeyEncryptionKey(migrator, config.keyEncryptionKey);
  } finally {
    await migrator.destroy();
  }
}

/** Starts one adapter: migrations, HTTP API, outbox relay. Port 0 picks a free port (tests). */
export async function startAdapter(
  definition: AdapterDefinition,
  config: AdapterConfig,
  options: StartOptions = {},
): Promise<RunningAdapter> {
  const logger = createLogger({
    service: definition.service,
    level: config.logLevel,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const pseudonymiser = new Pseudonymiser(config.pseudonymKey);
  const initiatives = initiativesById(loadCatalogue());

  const common = commonContracts(definition, definition.fixtures);
  // Built first: a fixture that does not read stops the start before anything is opened.
  const openapi = buildAdapterOpenApi({
    service: definition.service,
    ministry: definition.ministry,
    contracts: [...definition.contracts, ...commonContractList(common)],
    ...(definition.operations ? { operations: definition.operations } : {}),
    security: {
      issuer: config.oauth?.issuer,
      staticToken: config.ministryToken !== undefined,
      metricsToken: config.metricsToken !== undefined,
    },
  });

  await migrateAs(config, definition.service);
  const db: Knex = createDatabase({ url: config.databaseUrl, schema: config.databaseSchema, applicationName: definition.service });

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const serde = new EventSerde(new RegistryClient({ url: config.registryUrl }));
  const kafka = createKafka({ clientId: definition.service, ...kafkaAccessOf(config), logger });
  const relay = new OutboxRelay({
    db,
    producer: createIdempotentProducer(kafka),
    encode: (row) => serde.encode(row.event_type as EventType, row.payload as never),
    logger,
    metrics,
    name: `${definition.service}:${config.databaseSchema}`,
    pollIntervalMs: options.relayPollIntervalMs ?? 1_000,
    maxBackoffMs: options.relayMaxBackoffMs ?? 30_000,
    ...(options.relayLingerMs === undefined ? {} : { lingerMs: options.relayLingerMs }),
  });

  const { app } = createHttpApp({
    service: definition.service,
    logger,
    metrics,
    problemTypeBase: PROBLEM_TYPE_BASE_PATH,
    ...(definition.renderProblem ? { renderProblem: definition.renderProblem } : {}),
    ...(config.http ? { limits: config.http } : {}),
    metricsToken: config.metricsToken,
    readiness: [
      { name: 'postgres', required: true, check: () => ping(db) },
      // Reported only: the outbox absorbs a Kafka outage, so the adapter keeps accepting.
      {
        name: 'kafka',
        required: false,
        check: async () => {
          // The relay learns of an outage only when a publish fails; a TCP probe tells at once.
          const reachable = await anyBrokerReachable(config.kafkaBrokers);
          const ok = reachable && relay.kafkaHealthy;
          return {
            ok,
            detail: ok
              ? 'publishing'
              : reachable
                ? 'reachable; the relay is not publishing yet'
                : 'unreachable; accepted records wait in the outbox',
          };
        },
      },
    ],
  });

  const accepted = new Counter({
    name: 'adapter_events_accepted_total',
    help: 'Canonical events committed to the outbox',
    labelNames: ['event_type'],
    registers: [metrics],
  });
  const acceptance = new Acceptance({
    db,
    ministry: definition.ministry,
    pseudonymiser,
    keyEncryptionKey: config.keyEncryptionKey,
    accepted,
    onCommitted: () => relay.notify(),
    groupCommit: { metrics, ...options.groupCommit },
  });

  const kit: AdapterKit = {
    ministry: definition.ministry,
    pseudonymiser,
    logger,
    initiatives,
    json: (accepted = ['application/json'], limit = JSON_BODY_LIMIT) => jsonBody(limit, accepted),
    csv: (limit = CSV_BODY_LIMIT) => csvBody(limit),
    mappingContext: () => ({
      ministry: definition.ministry,
      newId: randomUUID,
      receivedAt: Date.now(),
      // Read when events are built, inside the acceptance span, so envelope and outbox row carry the same context.
      get trace() {
        return currentTraceContext();
      },
    }),
    async accept(req, res, records) {
      const result = await acceptTraced(req, records, req.headers['idempotency-key']);
      res.status(result.status).setHeader('Idempotent-Replayed', String(result.replayed));
      res.json(result.body);
    },
    acceptRecords: (req, records) => acceptTraced(req, records, undefined),
  };

  async function acceptTraced(
    req: Request,
    records: readonly NativeRecord[],
    header: string | string[] | undefined,
  ): Promise<AcceptanceResult> {
    const route = `${req.baseUrl}${String((req.route as { path?: string } | undefined)?.path ?? req.path)}`;
    // The acceptance span is the parent of every outbox row's trace context, hence of the relay's publish spans.
    return tracer.startActiveSpan(
      `accept ${route}`,
      {
        attributes: {
          [ATTR_PASSERELLE_MINISTRY]: definition.ministry,
          [ATTR_PASSERELLE_ROUTE]: route,
          [ATTR_PASSERELLE_RECORDS]: records.length,
        },
      },
      async (span) => {
        try {
          const result = await acceptance.accept({
            route,
            ...(typeof header === 'string' ? { idempotencyKey: header } : {}),
            content: req.body as unknown,
            records,
            trace: currentTraceContext(),
          });
          span.setAttributes({ [ATTR_PASSERELLE_EVENTS]: result.body.events.length, [ATTR_PASSERELLE_REPLAYED]: result.replayed });
          logger.info(
            { route, records: records.length, events: result.body.events.length, replayed: result.replayed },
            result.replayed ? 'records already accepted' : 'records accepted',
          );
          return result;
        } catch (error) {
          // The error's class only: a message could describe the record.
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).name });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  // The contract and the problem pages are public: an integrator reads them before holding a credential.
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use(problemPages());
  if (definition.publicRoutes) {
    const open = express.Router();
    definition.publicRoutes(open, kit);
    app.use(open);
  }
  app.use(
    requireMinistryCredential({
      ministry: definition.ministry,
      staticToken: config.ministryToken,
      accessTokens: config.oauth ? accessTokenVerifier(config.oauth) : undefined,
    }),
  );
  const router = express.Router();
  definition.routes(router, kit);
  mountCommonRoutes(router, kit, common, definition.referralLifecycle?.referenceField);
  app.use(router);
  finishApp(app, logger);

  let server: Awaited<ReturnType<typeof listen>>;
  try {
    server = await listen(app, config.port);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  relay.start();
  logger.info({ port: server.port, schema: config.databaseSchema, ministry: definition.ministry }, 'adapter started');

  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    port: server.port,
    logger,
    routes: mountedRoutes(app),
    stop() {
      stopping ??= (async () => {
        await server.stop(10_000);
        await relay.stop(options.flushMs ?? 5_000);
        await db.destroy();
        logger.info('adapter stopped');
      })();
      return stopping;
    },
  };
}
