import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { commentOnDatabase, databaseComment, dropDatabase, ensureDatabase, publicTables } from '@passerelle/pg-admin';
import { resolveKeycloak } from './artifacts.ts';
import { VERSIONS, type StackConfig } from './config.ts';
import { StackError } from './errors.ts';
import {
  ensureKeycloakCredentials,
  keycloakCredentialsFile,
  readKeycloakCredentials,
  type KeycloakCredentials,
} from './keycloak-credentials.ts';
import {
  clientRepresentations,
  credentialNames,
  loadRealmDocument,
  ministryAttribute,
  realmRoleScopes,
  serviceAccountUsers,
  userRepresentations,
  type RealmDocument,
  type RealmImportOptions,
} from './keycloak-realm.ts';
import { httpOk, javaArgs, jdbcConnection } from './part-launch.ts';
import type { Part } from './parts.ts';
import type { JavaRuntimes } from './prerequisites.ts';
import { stateOf } from './processes.ts';

const REALM = 'passerelle';

export function keycloakUrl(config: StackConfig): string {
  return `http://${config.host}:${config.keycloak.port}`;
}

/** Where the tests and the services find the identity provider, with the local stack's generated secrets. */
export interface IdentityEndpoint {
  /** Keycloak's base URL; the admin console is at `<url>/admin/`. */
  readonly url: string;
  /** The realm's issuer (`iss` of its tokens); discovery at `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  readonly credentials: KeycloakCredentials;
}

/** The local Keycloak's endpoint; undefined before its first start made credentials. */
export function identityOf(config: StackConfig): IdentityEndpoint | undefined {
  const credentials = readKeycloakCredentials(config);
  if (!credentials) return undefined;
  return { url: keycloakUrl(config), issuer: `${keycloakUrl(config)}/realms/${REALM}`, credentials };
}

/**
 * Keycloak's settings besides its address (exported for a compose comparison): production mode
 * (`start`) with its data in PostgreSQL, so users survive a restart; plain HTTP on loopback, a
 * fixed hostname so the issuer never depends on how a client spelled the host.
 */
export function keycloakEnvironment(config: StackConfig): Record<string, string> {
  const db = jdbcConnection(config.databaseUrl, config.keycloak.database);
  return {
    KC_DB: 'postgres',
    KC_CACHE: 'local',
    KC_DB_URL: db.url,
    KC_DB_USERNAME: db.username,
    KC_DB_PASSWORD: db.password,
    KC_HTTP_ENABLED: 'true',
    KC_HOSTNAME: keycloakUrl(config),
  };
}

/** kc.sh's JAVA_HOME for a chosen java executable (`…/bin/java`); the PATH's java needs none. */
function javaHomeOf(java: string): Record<string, string> {
  return path.isAbsolute(java) ? { JAVA_HOME: path.dirname(path.dirname(java)) } : {};
}

function distributionOf(config: StackConfig, log: (message: string) => void): string {
  return resolveKeycloak(config.home, log);
}

/** Keycloak's build-time options: PostgreSQL, and a local cache (the default, clustered, opens JGroups on a public interface). */
const BUILD_OPTIONS = ['--db=postgres', '--cache=local'];

/**
 * `kc.sh build` once per distribution and set of build options; a built distribution then starts
 * with `--optimized`, skipping the ~15 s re-augmentation at each start.
 */
function buildOnce(dist: string, java: JavaRuntimes, log: (message: string) => void): void {
  const marker = path.join(dist, '.passerelle-build');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === BUILD_OPTIONS.join(' ')) return;
  log(`keycloak: building the distribution (kc.sh build ${BUILD_OPTIONS.join(' ')}, once)…`);
  const build = spawnSync(path.join(dist, 'bin', 'kc.sh'), ['build', ...BUILD_OPTIONS], {
    cwd: dist,
    encoding: 'utf8',
    env: { ...process.env, ...javaHomeOf(java.java21) },
  });
  if (build.status !== 0)
    throw new StackError(
      'KEYCLOAK_BUILD_FAILED',
      `kc.sh build failed:\n${`${build.stdout}${build.stderr}`.trim().split('\n').slice(-15).join('\n')}`,
    );
  fs.writeFileSync(marker, BUILD_OPTIONS.join(' '));
}

/**
 * The label the Keycloak database carries: which admin credentials its first start was given.
 * A hash of the random admin password, never the password; it tells a database made with this
 * checkout's credentials file from one made with a file since lost (a fresh clone on a server
 * that kept the database).
 */
const LABEL_PREFIX = 'passerelle local keycloak;';

export function databaseLabel(admin: KeycloakCredentials['admin']): string {
  const fingerprint = createHash('sha256').update(`passerelle keycloak admin\0${admin.username}\0${admin.password}`).digest('hex');
  return `${LABEL_PREFIX} admin ${fingerprint.slice(0, 32)}`;
}

/**
 * Makes sure Keycloak's database belongs to the credentials file. Keycloak creates its bootstrap
 * administrator only on an empty database, so a database made with other credentials can never be
 * signed into and the realm never provisioned. The local stack holds development data only (the
 * realm itself is data in the repo), so such a database is dropped and made again, and the log
 * says why. A database from before the label existed is labelled and kept.
 */
export async function bindDatabaseToCredentials(
  config: StackConfig,
  credentials: { readonly admin: KeycloakCredentials['admin']; readonly fileIsNew: boolean },
  log: (line: string) => void,
) {
  const { databaseUrl } = config;
  const { database } = config.keycloak;
  const label = databaseLabel(credentials.admin);
  const current = await databaseComment(databaseUrl, database);
  if (current === label) return;
  const recreate = async (why: string) => {
    log(`keycloak: the database ${database} ${why}; dropping and recreating it, as the local realm is development data`);
    await dropDatabase(databaseUrl, database);
    await ensureDatabase(databaseUrl, database);
  };
  if (current === undefined) {
    await ensureDatabase(databaseUrl, database);
    log(`keycloak: created PostgreSQL database ${database}`);
  } else if (current?.startsWith(LABEL_PREFIX)) {
    await recreate(`was made with another admin password than ${keycloakCredentialsFile(config)} holds (the file was made again since)`);
  } else {
    const tables = await publicTables(databaseUrl, database);
    if (tables.length > 0 && !tables.includes('realm'))
      throw new StackError(
        'KEYCLOAK_DATABASE_FOREIGN',
        `keycloak: the database ${database} holds tables that are not Keycloak's (${tables.slice(0, 3).join(', ')}…); infra will not touch it`,
        'set PASSERELLE_KEYCLOAK_DATABASE to another name',
      );
    // A Keycloak from before the label: this checkout's if its credentials file is older, a lost file's otherwise.
    if (tables.length > 0 && credentials.fileIsNew)
      await recreate(`holds a Keycloak made before ${keycloakCredentialsFile(config)} existed`);
  }
  await commentOnDatabase(databaseUrl, database, label);
}

export const keycloak: Part = {
  name: 'keycloak',
  title: `Keycloak ${VERSIONS.keycloak} (PostgreSQL)`,
  ports: (config) => [config.keycloak.port],
  url: (config) => `${keycloakUrl(config)}/admin/`,
  async prepare(config, _artifacts, java, log) {
    const { credentials, created } = ensureKeycloakCredentials(config, credentialNames(loadRealmDocument()));
    if (created)
      log(
        `keycloak: generated the admin password, client secrets and development users' passwords in ${keycloakCredentialsFile(config)} (mode 0600)`,
      );
    await bindDatabaseToCredentials(config, { admin: credentials.admin, fileIsNew: created }, log);
    buildOnce(distributionOf(config, log), java, log);
  },
  launch(config, _artifacts, java) {
    const dist = distributionOf(config, () => undefined);
    const credentials = readKeycloakCredentials(config);
    if (!credentials)
      throw new StackError('KEYCLOAK_CREDENTIALS_MISSING', `${keycloakCredentialsFile(config)} disappeared while keycloak was starting`);
    // kc.sh's own java command line, run directly so the pid is Java's and carries the part marker.
    return {
      command: java.java21,
      args: [
        ...javaArgs('keycloak', config.keycloak.heapMb),
        '-XX:MaxMetaspaceSize=256m',
        '-Dfile.encoding=UTF-8',
        '-Duser.language=en',
        '-Duser.country=US',
        '--add-opens=java.base/java.util=ALL-UNNAMED',
        '--add-opens=java.base/java.util.concurrent=ALL-UNNAMED',
        '--add-opens=java.base/java.security=ALL-UNNAMED',
        // kc.sh leaves this out; on Java 24+ JBoss Threads needs it, or its executor threads die on first use.
        '--add-opens=java.base/java.lang=ALL-UNNAMED',
        '-Djava.util.concurrent.ForkJoinPool.common.threadFactory=io.quarkus.bootstrap.forkjoin.QuarkusForkJoinWorkerThreadFactory',
        `-Dkc.home.dir=${dist}`,
        `-Djboss.server.config.dir=${path.join(dist, 'conf')}`,
        '-Djava.util.logging.manager=org.jboss.logmanager.LogManager',
        '-Dpicocli.disable.closures=true',
        '-cp',
        path.join(dist, 'lib', 'quarkus-run.jar'),
        'io.quarkus.bootstrap.runner.QuarkusEntryPoint',
        'start',
        '--optimized',
        `--http-host=${config.host}`,
        `--http-port=${config.keycloak.port}`,
      ],
      cwd: dist,
      // Secrets through the environment, not the command line. The bootstrap admin is only
      // created when the database has no administrator yet (the first start).
      env: {
        ...process.env,
        ...keycloakEnvironment(config),
        KC_BOOTSTRAP_ADMIN_USERNAME: credentials.admin.username,
        KC_BOOTSTRAP_ADMIN_PASSWORD: credentials.admin.password,
      },
    };
  },
  probe: (config) => httpOk(`${keycloakUrl(config)}/realms/master/.well-known/openid-configuration`),
};

/** A failure of the admin REST API, with no secret in its message. */
async function expectOk(response: Response, what: string): Promise<Response> {
  if (response.ok) return response;
  const body = (await response.text()).slice(0, 500);
  throw new StackError('KEYCLOAK_ADMIN_FAILED', `keycloak: ${what} answered ${response.status}: ${body}`);
}

async function adminSession(url: string, admin: KeycloakCredentials['admin']) {
  const response = await expectOk(
    await fetch(`${url}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: admin.username, password: admin.password }),
      signal: AbortSignal.timeout(15_000),
    }),
    'the admin sign-in (was the admin password changed in the console? see docs/identity.md)',
  );
  const { access_token: token } = (await response.json()) as { access_token: string };
  return async (method: string, route: string, body?: unknown): Promise<Response> =>
    fetch(`${url}/admin/realms${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
}

export interface RealmProvisionResult {
  readonly realmCreated: boolean;
  readonly clients: number;
  readonly usersAdded: number;
}

/**
 * Applies infra/keycloak/passerelle-realm.json and the party registry to a running Keycloak:
 * creates the realm or updates its settings, declares the `ministry` user attribute, overwrites
 * the clients (their mappers and secrets follow the file), adds the roles that are missing and
 * maps each client's realm roles. With `development` (the local stack only) it also imports the
 * password-grant client `passerelle-dev-tools` and adds the development users that are missing.
 * Existing users are kept as they are (a password changed in the admin console stays changed).
 * Idempotent; `provision` runs it, with `development`, at every `npm start` and `npm test`.
 */
export async function provisionRealm(
  identity: IdentityEndpoint,
  log: (message: string) => void,
  options: RealmImportOptions & { readonly document?: RealmDocument },
): Promise<RealmProvisionResult> {
  const document = options.document ?? loadRealmDocument();
  const api = await adminSession(identity.url, identity.credentials.admin);
  const realm = document.realm.realm;
  const existing = await api('GET', `/${realm}`);
  const realmCreated = existing.status === 404;
  if (realmCreated)
    await expectOk(await api('POST', '', { ...document.realm, roles: { realm: document.roles } }), `creating realm ${realm}`);
  else await expectOk(await api('PUT', `/${realm}`, document.realm), `updating realm ${realm}`);

  const profile = (await (await expectOk(await api('GET', `/${realm}/users/profile`), 'reading the user profile')).json()) as {
    attributes?: { name: string }[];
  };
  const attribute = ministryAttribute(document);
  const attributes = [...(profile.attributes ?? []).filter((a) => a.name !== attribute['name']), attribute];
  await expectOk(await api('PUT', `/${realm}/users/profile`, { ...profile, attributes }), 'declaring the ministry attribute');

  const clients = clientRepresentations(document, identity.credentials, options);
  await expectOk(await api('POST', `/${realm}/partialImport`, { ifResourceExists: 'OVERWRITE', clients }), 'importing the clients');
  const added = (await (
    await expectOk(
      await api('POST', `/${realm}/partialImport`, {
        ifResourceExists: 'SKIP',
        roles: { realm: document.roles },
        users: [...(options.development ? userRepresentations(document, identity.credentials) : []), ...serviceAccountUsers()],
      }),
      'importing the roles and users',
    )
  ).json()) as { results?: { resourceType: string; action: string; resourceName: string }[] };
  await mapRealmRoles(api, realm, realmRoleScopes(document, options));
  const usersAdded = (added.results ?? []).filter(
    (r) => r.resourceType === 'USER' && r.action === 'ADDED' && !r.resourceName.startsWith('service-account-'),
  ).length;
  const result = { realmCreated, clients: clients.length, usersAdded };
  log(
    `keycloak: realm ${realm} ${realmCreated ? 'created' : 'updated'}, ${result.clients} clients applied, ${
      options.development ? `${result.usersAdded} development users added (existing ones kept)` : 'no development accounts'
    }`,
  );
  return result;
}

/**
 * Gives each client its realm roles' scope. A client import neither carries nor keeps scope
 * mappings (overwriting a client drops them), so they are added after every import.
 */
async function mapRealmRoles(
  api: Awaited<ReturnType<typeof adminSession>>,
  realm: string,
  scopes: readonly { clientId: string; roles: readonly string[] }[],
): Promise<void> {
  const roles = (await (await expectOk(await api('GET', `/${realm}/roles`), 'reading the realm roles')).json()) as {
    id: string;
    name: string;
  }[];
  for (const scope of scopes) {
    const [client] = (await (
      await expectOk(await api('GET', `/${realm}/clients?clientId=${encodeURIComponent(scope.clientId)}`), `finding ${scope.clientId}`)
    ).json()) as { id: string }[];
    if (!client) throw new StackError('KEYCLOAK_ADMIN_FAILED', `keycloak: the client ${scope.clientId} was not imported`);
    const mapped = roles.filter((role) => scope.roles.includes(role.name));
    await expectOk(
      await api('POST', `/${realm}/clients/${client.id}/scope-mappings/realm`, mapped),
      `mapping the realm roles of ${scope.clientId}`,
    );
  }
}

/** Applies the realm when the local stack runs Keycloak; a stack without it is left alone. */
export async function provisionKeycloak(config: StackConfig, log: (message: string) => void): Promise<void> {
  const identity = identityOf(config);
  if (stateOf(path.join(config.home, 'run'), 'keycloak').kind !== 'running' || !identity) {
    log('keycloak: not running, realm not applied');
    return;
  }
  // The local stack is a development stack: its realm has the development accounts.
  await provisionRealm(identity, log, { development: true });
}
