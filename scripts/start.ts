/**
 * `npm start`: brings the local stack up, provisions topics and schemas, runs every service
 * under services/ in the foreground with prefixed output, and prints the URLs. Ctrl-C (or
 * SIGTERM) stops the services, then the parts of the stack this command started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createDatabase, ensureDatabaseRoles, urlForRole, type DatabaseRoleNames } from '@passerelle/db';
import { adapterNameOf, PARTIES } from '@passerelle/contracts';
import {
  REPO_ROOT,
  developmentUsers,
  down,
  identityOf,
  keycloakCredentialsFile,
  loadRealmDocument,
  loadStackConfig,
  prometheusUrl,
  provision,
  status,
  up,
  writeTargets,
  type KafkaCredentialSet,
  type PartName,
  type ScrapeTarget,
} from '@passerelle/infra';
import { loadDevSecrets, type DevSecrets } from './dev-secrets.ts';
import { runDemoScenario } from './demo/scenario.ts';
import { generateYear } from './demo/synthetic-year.ts';
import { sendYear } from './demo/year-sender.ts';
import { databaseLayout, databaseRoleOf, kafkaPrincipalOf, partyOfService, servicePorts } from './services.ts';

const log = (message: string): void => console.log(`[passerelle] ${message}`);

const SERVICE_PORTS = servicePorts();

/** The process that reports the projector's lag from outside it (`projector lag serve`), started with the projector. */
const LAG_EXPORTER = { name: 'projector-lag', port: 8111 } as const;

/** What Prometheus scrapes of the services started: each one's /metrics, labelled with its name and role. */
function scrapeTargetsOf(names: readonly string[]): ScrapeTarget[] {
  return names.flatMap((name): ScrapeTarget[] => {
    if (name === LAG_EXPORTER.name) return [{ address: `127.0.0.1:${LAG_EXPORTER.port}`, service: name, role: 'stack' }];
    const port = SERVICE_PORTS[name];
    if (port === undefined) return [];
    const role = partyOfService(name) ? 'adapter' : name === 'projector' ? 'projector' : 'view-api';
    return [{ address: `127.0.0.1:${port}`, service: name, role }];
  });
}

interface DatabaseAccess {
  /** The administrator's URL `npm start` was given (DATABASE_URL). */
  readonly url: string;
  readonly roles: DatabaseRoleNames;
}

/** Creates or updates the database's roles (passwords from secrets.json) as the administrator. */
async function provisionDatabaseRoles(url: string, secrets: DevSecrets): Promise<DatabaseAccess> {
  const admin = createDatabase({ url, poolMax: 1, applicationName: 'passerelle-start' });
  try {
    const roles = await ensureDatabaseRoles(admin, { passwords: secrets.databasePasswords, layout: databaseLayout() });
    log(`postgres: roles ${roles.migrator} (migrations) and ${Object.values(roles.services).join(', ')} ready`);
    return { url, roles };
  } finally {
    await admin.destroy();
  }
}

/**
 * What one service needs beyond the shared addresses: its database role's URL and the migrator's, its port, for adapters their token and
 * key, the view API its JWT secret and audit key, the projector its record-key secret, for adapters, the projector and the view API
 * the one key-encryption key of the referrals' data keys, and for Kafka clients their own principal's SCRAM credentials (from the data folder).
 */
function serviceEnvironment(
  name: string,
  secrets: DevSecrets,
  kafkaCredentials: KafkaCredentialSet | undefined,
  database: DatabaseAccess,
  issuer: string | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Its own role for everything, the migrator for migrations (docs/database-roles.md).
  const role = database.roles.services[databaseRoleOf(name)];
  const password = (key: string) => secrets.databasePasswords[key];
  if (role !== undefined) {
    env['DATABASE_URL'] = urlForRole(database.url, role, password(databaseRoleOf(name)));
    env['PASSERELLE_MIGRATION_DATABASE_URL'] = urlForRole(database.url, database.roles.migrator, password('migrator'));
  }
  const port = SERVICE_PORTS[name];
  if (port !== undefined) env['PORT'] = String(port);
  const principal = kafkaPrincipalOf(name);
  const credential = principal ? kafkaCredentials?.[principal] : undefined;
  if (credential) {
    env['PASSERELLE_KAFKA_USERNAME'] = credential.username;
    env['PASSERELLE_KAFKA_PASSWORD'] = credential.password;
  }
  const party = partyOfService(name);
  const ministry = party ? adapterNameOf(party) : undefined;
  // Adapters wrap new data keys under it, the projector destroys and opens them, the view API reads the key store.
  if (ministry || name === 'projector' || name === 'view-api') env['PASSERELLE_KEY_ENCRYPTION_KEY'] = secrets.keyEncryptionKey;
  if (name === 'view-api') {
    // People sign in through the local Keycloak; the secret keeps `npm run view-api -- token` working (development only).
    if (issuer) env['PASSERELLE_OIDC_ISSUER'] = issuer;
    env['PASSERELLE_JWT_SECRET'] = secrets.jwtSecret;
    env['PASSERELLE_AUDIT_HMAC_KEY'] = secrets.auditHmacKey;
    // The operator's pipeline page reads the adapters' outbox and the projector's lag from their /metrics.
    env['PASSERELLE_PIPELINE_METRICS'] = Object.entries(SERVICE_PORTS)
      .filter(([service]) => service !== 'view-api')
      .map(([service, servicePort]) => `${service}=http://127.0.0.1:${servicePort}`)
      .join(',');
  }
  if (name === 'projector') env['PASSERELLE_RECORD_KEY_SECRET'] = secrets.recordKeySecret;
  if (ministry) {
    // Both doors: the static token (development) and the local Keycloak's access tokens.
    if (issuer) env['PASSERELLE_OAUTH_ISSUER'] = issuer;
    env['PASSERELLE_MINISTRY_TOKEN'] = secrets.tokens[ministry];
    env['PASSERELLE_PSEUDONYM_KEY'] = secrets.pseudonymKeys[ministry];
  }
  return env;
}

async function waitReady(name: string, url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  log(`${name} did not answer /readyz within ${timeoutMs / 1000} s`);
  return false;
}

interface RunningService {
  readonly name: string;
  readonly child: ChildProcess;
}

function discoverServices(): string[] {
  const dir = path.join(REPO_ROOT, 'services');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => fs.existsSync(path.join(dir, name, 'src', 'main.ts')))
    .sort();
}

function startService(
  name: string,
  env: NodeJS.ProcessEnv,
  run: { readonly folder: string; readonly entry: string; readonly args: readonly string[] } = {
    folder: name,
    entry: path.join('src', 'main.ts'),
    args: [],
  },
): RunningService {
  const entry = path.join(REPO_ROOT, 'services', run.folder, run.entry);
  const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [entry, ...run.args], {
    cwd: path.join(REPO_ROOT, 'services', run.folder),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = `[${name}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) console.log(prefix + line);
    });
  }
  return { name, child };
}

async function stopService(service: RunningService): Promise<void> {
  if (service.child.exitCode !== null || service.child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => service.child.once('exit', () => resolve()));
  service.child.kill('SIGTERM');
  // tsx runs the service in a child node process: escalate to the whole process group.
  const timer = setTimeout(() => {
    if (service.child.pid !== undefined) process.kill(-service.child.pid, 'SIGKILL');
  }, 20_000);
  await exited;
  clearTimeout(timer);
}

/** Keycloak's addresses and the development users (local only, generated at its first start) to sign in with. */
function printIdentity(config: ReturnType<typeof loadStackConfig>): void {
  const identity = identityOf(config);
  if (!identity) return;
  log(`keycloak: admin console ${identity.url}/admin/ (admin password and client secrets in ${keycloakCredentialsFile(config)})`);
  log(`keycloak: issuer ${identity.issuer}`);
  log('keycloak: development users (docs/identity.md):');
  for (const user of developmentUsers(loadRealmDocument()))
    log(
      `  ${user.username.padEnd(28)} ${(user.role + (user.ministry ? ` ${user.ministry}` : '')).padEnd(28)} ${identity.credentials.users[user.username] ?? '(no password yet)'}`,
    );
}

async function main(): Promise<void> {
  const config = loadStackConfig();
  let started: readonly PartName[] = [];
  const services: RunningService[] = [];
  let stopping = false;

  const shutdown = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping ${services.length} service(s) and ${started.length ? started.join(', ') : 'no part of the stack'}…`);
    await Promise.all(services.map(stopService));
    // Services stopped on purpose are no targets to alert on.
    writeTargets(config, 'services', []);
    if (started.length > 0) await down(config, log, started);
    log('stopped');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));

  const result = await up(config, log);
  started = result.started;
  await provision(config, log);

  const env: NodeJS.ProcessEnv = {
    // Credentials are per service (below): none is inherited from this shell.
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => !['PASSERELLE_KAFKA_USERNAME', 'PASSERELLE_KAFKA_PASSWORD', 'PASSERELLE_MIGRATION_DATABASE_URL'].includes(key),
      ),
    ),
    PASSERELLE_KAFKA_BROKERS: result.endpoints.kafkaBrokers.join(','),
    // Every Kafka client verifies the broker's certificate against the stack's CA (SASL_SSL).
    ...(result.endpoints.kafkaCaFile ? { PASSERELLE_KAFKA_CA_FILE: result.endpoints.kafkaCaFile } : {}),
    PASSERELLE_REGISTRY_URL: result.endpoints.registryUrl,
    PASSERELLE_ZIPKIN_URL: result.endpoints.zipkinUrl,
    DATABASE_URL: result.endpoints.databaseUrl,
    OTEL_TRACES_EXPORTER: process.env['OTEL_TRACES_EXPORTER'] ?? 'zipkin',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: process.env['OTEL_EXPORTER_ZIPKIN_ENDPOINT'] ?? `${result.endpoints.zipkinUrl}/api/v2/spans`,
  };
  // PASSERELLE_START_SERVICES: "all" (default), "none", or a comma-separated list of service folders.
  const wanted = (process.env['PASSERELLE_START_SERVICES'] ?? 'all').trim();
  const chosen = discoverServices().filter(
    (name) =>
      wanted === 'all' ||
      (wanted !== 'none' &&
        wanted
          .split(',')
          .map((s) => s.trim())
          .includes(name)),
  );
  // PASSERELLE_DEMO: "on" (default, the small scenario), "year" (the scenario, then a synthetic year), or "off".
  const demo = (process.env['PASSERELLE_DEMO'] ?? 'on').trim();
  if (demo === 'year' && env['PASSERELLE_RATE_LIMIT_QUOTAS'] === undefined)
    // The year arrives faster than a ministry's default 600 requests a minute: its own quota, as a real bulk load would get.
    env['PASSERELLE_RATE_LIMIT_QUOTAS'] = PARTIES.map((party) => `${party.id}=60000`).join(',');
  const secrets = loadDevSecrets(config.home);
  const database = await provisionDatabaseRoles(result.endpoints.databaseUrl, secrets);
  // With the projector, the process that measures its lag from outside (Prometheus' lag alert must fire when it stops).
  const processes: { name: string; run?: Parameters<typeof startService>[2]; as: string }[] = chosen.map((name) => ({ name, as: name }));
  if (chosen.includes('projector'))
    processes.push({
      name: LAG_EXPORTER.name,
      as: 'projector',
      run: {
        folder: 'projector',
        entry: path.join('src', 'entry-points', 'cli.ts'),
        args: ['lag', 'serve', '--port', String(LAG_EXPORTER.port)],
      },
    });
  for (const { name, run, as } of processes) {
    const service = startService(
      name,
      { ...env, ...serviceEnvironment(as, secrets, result.endpoints.kafkaCredentials, database, identityOf(config)?.issuer) },
      run,
    );
    services.push(service);
    service.child.on('exit', (code, signal) => {
      if (!stopping) {
        log(`${name} exited (${signal ?? `code ${code}`}); stopping everything`);
        void shutdown(`${name} exited`);
      }
    });
  }

  const ready = await Promise.all(
    services.map(async (s) => ({
      name: s.name,
      ok: SERVICE_PORTS[s.name] === undefined || (await waitReady(s.name, `http://127.0.0.1:${SERVICE_PORTS[s.name]}`, 90_000)),
    })),
  );
  writeTargets(config, 'services', scrapeTargetsOf(services.map((s) => s.name)));
  const adapters = Object.fromEntries(
    PARTIES.map((party) => [
      adapterNameOf(party),
      { url: `http://127.0.0.1:${party.adapter.port}`, token: secrets.tokens[adapterNameOf(party)] ?? '' },
    ]),
  );
  const allAdapters = PARTIES.every((party) => ready.some((r) => r.name === party.adapter.service && r.ok));
  if (demo !== 'off' && allAdapters) {
    log('sending the demo scenario through the adapters…');
    const scenario = await runDemoScenario(adapters, (message) => log(`demo: ${message}`));
    log(`demo scenario: ${scenario.accepted} records accepted`);
    if (demo === 'year') await sendYear(generateYear(), adapters, (message) => log(`demo year: ${message}`));
  }

  log('the stack is up:');
  for (const part of await status(config)) log(`  ${part.name.padEnd(9)} ${part.url}`);
  log(`  postgres  ${result.endpoints.databaseUrl.replace(/:[^:@/]*@/, ':***@')}`);
  for (const service of services) {
    const port = service.name === LAG_EXPORTER.name ? LAG_EXPORTER.port : SERVICE_PORTS[service.name];
    log(`  ${service.name.padEnd(28)} ${port ? `http://127.0.0.1:${port}` : '(no HTTP port)'}`);
  }
  if (services.length === 0) log('no services started (PASSERELLE_START_SERVICES)');
  log(
    `prometheus: targets ${prometheusUrl(config)}/targets, alerts ${prometheusUrl(config)}/alerts (rules in infra/prometheus/alerts.yml)`,
  );
  log(`demo credentials (bearer tokens per ministry) are in ${path.join(config.home, 'secrets.json')}`);
  printIdentity(config);
  log('press Ctrl-C to stop');
  // Keep the event loop alive until a signal arrives.
  setInterval(() => undefined, 1 << 30);
}

main().catch(async (error: unknown) => {
  console.error(`[passerelle] start failed: ${(error as Error).message}`);
  const hint = (error as { hint?: string }).hint;
  if (hint) console.error(`[passerelle] how to fix:\n${hint}`);
  process.exit(1);
});
