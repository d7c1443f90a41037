import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PARTIES } from '@passerelle/contracts';
import { TEST_KEY_ENCRYPTION_KEY_HEX } from '@passerelle/contracts/testing';
import { createDatabase, dropDatabaseRoles, ensureDatabaseRoles, urlForRole, type DatabaseRoleNames } from '@passerelle/db';
import {
  WaitAborted,
  createTestDatabase,
  freePort,
  kafkaEnvFor,
  requireIdentity,
  uniqueName,
  waitFor,
  type TestDatabase,
} from '@passerelle/testing';
import { runServiceMain, type ServiceProcess } from '../support/service-process.ts';

/**
 * PASSERELLE_ENVIRONMENT=production, per service, as real processes: with every unsafe setting
 * at once the service exits 1 naming each variable and none of the values; with the production
 * settings (SASL_SSL against the stack's CA, the service's own PostgreSQL role, the identity
 * provider's tokens, /metrics behind a token file) it starts, is ready, keeps /metrics closed
 * to anyone without the token, and stops cleanly on SIGTERM.
 */
const stack = inject('stack');

interface ServiceCase {
  readonly service: string;
  /** Its role in the database layout (docs/database-roles.md). */
  readonly role: string;
  readonly kafkaPrincipal?: string;
  /** What only this service reads, in production. */
  settings(): Record<string, string>;
  /** Unsafe settings of this service's own, and the variables the refusal must name. */
  readonly unsafe: { readonly settings: Record<string, string>; readonly named: readonly string[] };
}

/** Values that must never appear in what a service prints. */
const CANARIES = {
  databasePassword: `db-canary-${randomBytes(6).toString('hex')}`,
  staticToken: `static-canary-${randomBytes(16).toString('hex')}`,
  shortKey: `short-canary-${randomBytes(3).toString('hex')}`,
  jwtSecret: `jwt-canary-${randomBytes(16).toString('hex')}`,
};
const FOREIGN_HTTP_ISSUER = 'http://idp.gov.example/realms/passerelle';
const secret = (): string => randomBytes(32).toString('base64url');

const adapters: ServiceCase[] = PARTIES.map((party) => ({
  service: party.adapter.service,
  role: party.adapter.databaseSchema,
  kafkaPrincipal: party.kafkaPrincipal,
  settings: () => ({
    PASSERELLE_OAUTH_ISSUER: requireIdentity(stack.identity).issuer,
    PASSERELLE_PSEUDONYM_KEY: secret(),
    PASSERELLE_REGISTRY_URL: stack.registryUrl,
  }),
  unsafe: {
    settings: {
      PASSERELLE_MINISTRY_TOKEN: CANARIES.staticToken,
      PASSERELLE_OAUTH_ISSUER: FOREIGN_HTTP_ISSUER,
      PASSERELLE_PSEUDONYM_KEY: CANARIES.shortKey,
    },
    named: ['PASSERELLE_MINISTRY_TOKEN', 'PASSERELLE_OAUTH_ISSUER', 'PASSERELLE_OAUTH_JWKS_URL', 'PASSERELLE_PSEUDONYM_KEY'],
  },
}));

const projector: ServiceCase = {
  service: 'projector',
  role: 'projector',
  kafkaPrincipal: 'projector',
  settings: () => ({
    PASSERELLE_RECORD_KEY_SECRET: secret(),
    PASSERELLE_REGISTRY_URL: stack.registryUrl,
    // The ACLs give the projector the consumer groups named passerelle-projector*.
    PASSERELLE_CONSUMER_GROUP: uniqueName('passerelle-projector-production'),
  }),
  unsafe: { settings: { PASSERELLE_RECORD_KEY_SECRET: CANARIES.shortKey }, named: ['PASSERELLE_RECORD_KEY_SECRET'] },
};

const viewApi: ServiceCase = {
  service: 'view-api',
  role: 'view_api',
  settings: () => ({ PASSERELLE_OIDC_ISSUER: requireIdentity(stack.identity).issuer, PASSERELLE_AUDIT_HMAC_KEY: secret() }),
  unsafe: {
    settings: {
      PASSERELLE_JWT_SECRET: CANARIES.jwtSecret,
      PASSERELLE_OIDC_ISSUER: FOREIGN_HTTP_ISSUER,
      PASSERELLE_SUPPRESSION_THRESHOLD: '3',
      PASSERELLE_AUDIT_HMAC_KEY: CANARIES.shortKey,
    },
    named: [
      'PASSERELLE_JWT_SECRET',
      'PASSERELLE_OIDC_ISSUER',
      'PASSERELLE_OIDC_JWKS_URL',
      'PASSERELLE_SUPPRESSION_THRESHOLD',
      'PASSERELLE_AUDIT_HMAC_KEY',
    ],
  },
};

// The projector before the view API: it migrates the view the view API reads.
const SERVICES: readonly ServiceCase[] = [...adapters, projector, viewApi];

let database: TestDatabase;
let roles: DatabaseRoleNames;
let metricsTokenFile: string;
const metricsToken = secret();
const passwords: Record<string, string> = {};
const running: ServiceProcess[] = [];

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'production_mode');
  for (const role of ['migrator', ...SERVICES.map((service) => service.role)]) passwords[role] = secret();
  const admin = createDatabase({ url: database.url, poolMax: 1 });
  try {
    roles = await ensureDatabaseRoles(admin, { passwords });
  } finally {
    await admin.destroy();
  }
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-production-mode-'));
  metricsTokenFile = path.join(folder, 'metrics-token');
  fs.writeFileSync(metricsTokenFile, `${metricsToken}\n`, { mode: 0o600 });
});

afterAll(async () => {
  for (const { child } of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await database?.drop();
  if (database) {
    const admin = createDatabase({ url: stack.databaseUrl, poolMax: 1 });
    try {
      await dropDatabaseRoles(admin, database.name);
    } finally {
      await admin.destroy();
    }
  }
});

function productionSettings(service: ServiceCase, port: number): Record<string, string> {
  const role = roles.services[service.role];
  if (role === undefined) throw new Error(`no database role for ${service.service}`);
  return {
    PASSERELLE_ENVIRONMENT: 'production',
    PORT: String(port),
    LOG_LEVEL: 'info',
    DATABASE_URL: urlForRole(database.url, role, passwords[service.role]),
    PASSERELLE_MIGRATION_DATABASE_URL: urlForRole(database.url, roles.migrator, passwords['migrator']),
    PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
    PASSERELLE_METRICS_TOKEN_FILE: metricsTokenFile,
    ...(service.kafkaPrincipal ? kafkaEnvFor(stack, service.kafkaPrincipal) : {}),
    ...service.settings(),
  };
}

describe.each(SERVICES)('$service in production', (service) => {
  it('refuses to start with every unsafe setting, naming each variable and none of the values', async () => {
    const superuserUrl = new URL(database.url);
    superuserUrl.username = 'postgres';
    superuserUrl.password = CANARIES.databasePassword;
    const started = runServiceMain(service.service, {
      PASSERELLE_ENVIRONMENT: 'production',
      PORT: String(await freePort()),
      DATABASE_URL: superuserUrl.toString(),
      PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
      ...(service.kafkaPrincipal ? { PASSERELLE_KAFKA_BROKERS: stack.kafkaBrokers.join(',') } : {}),
      ...service.unsafe.settings,
    });
    running.push(started);

    expect(await started.exited).toBe(1);
    const printed = started.output();
    const shared = [
      'DATABASE_URL',
      'PASSERELLE_METRICS_TOKEN_FILE',
      ...(service.kafkaPrincipal ? ['PASSERELLE_KAFKA_USERNAME', 'PASSERELLE_KAFKA_CA_FILE'] : []),
    ];
    for (const variable of [...shared, ...service.unsafe.named]) expect(printed).toMatch(new RegExp(`^\\s*${variable}: `, 'm'));
    for (const canary of Object.values(CANARIES)) expect(printed).not.toContain(canary);
  });

  it('starts with the production settings, keeps /metrics behind its token, and stops cleanly', async () => {
    const port = await freePort();
    const settings = productionSettings(service, port);
    const started = runServiceMain(service.service, settings);
    running.push(started);
    const url = `http://127.0.0.1:${port}`;

    await waitFor(
      `${service.service} ready in production`,
      async () => {
        if (started.child.exitCode !== null)
          throw new WaitAborted(`${service.service} exited ${started.child.exitCode}:\n${started.output()}`);
        return (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200;
      },
      90_000,
      250,
    );
    const open = await fetch(`${url}/metrics`);
    expect(open.status).toBe(401);
    expect(open.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const scraped = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('http_server_duration_seconds');

    started.child.kill('SIGTERM');
    expect(await started.exited).toBe(0);
    const secrets = [
      metricsToken,
      settings['PASSERELLE_KAFKA_PASSWORD'],
      settings['PASSERELLE_PSEUDONYM_KEY'],
      ...Object.values(passwords),
    ];
    for (const value of secrets.filter((text): text is string => text !== undefined)) expect(started.output()).not.toContain(value);
  }, 120_000);
});
