import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, dropDatabaseRoles, type Knex } from '@passerelle/db';
import { REPO_ROOT } from '@passerelle/infra';
import { dropDatabase, withDatabase } from '@passerelle/pg-admin';
import { freePort, uniqueSuffix, waitFor } from '@passerelle/testing';

/** The PostgreSQL user behind each service's sessions, by application name. */
async function sessionUsers(db: Knex): Promise<Record<string, string[]>> {
  const { rows } = (await db.raw(
    "SELECT application_name, array_agg(DISTINCT usename::text ORDER BY usename::text) AS users FROM pg_stat_activity WHERE datname = current_database() AND application_name <> '' GROUP BY application_name",
  )) as { rows: { application_name: string; users: string[] }[] };
  return Object.fromEntries(rows.map((row) => [row.application_name, row.users]));
}

/** Pids of live processes whose command line mentions `needle`, zombies excluded. */
function processesMentioning(needle: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return !/\) Z /.test(stat) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** What a command printed, and its exit code. */
function run(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  const [program, ...args] = command.split(' ') as [string, ...string[]];
  const child = spawn(program, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out, err })));
}

/** The operator command as docs/operations.md writes it, its optional parts (`[--json]`) and comment left out. */
function documentedCommand(start: string): string {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(start));
  return (line ?? '').split(/\s+[[#]/)[0]?.trim() ?? '';
}

/** This process's environment without the variables that would point a command at another stack or principal. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(PASSERELLE_|DATABASE_URL$|OTEL_)/.test(key)));
}

describe('npm start', () => {
  // A second, private stack on free ports and its own data folder, so this test proves a cold
  // start and a clean stop without touching the stack the other tests use.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-start-'));
  const registryDatabase = `passerelle_registry_e2e_${uniqueSuffix()}`;
  const keycloakDatabase = `passerelle_keycloak_e2e_${uniqueSuffix()}`;
  // A database of its own, so its roles (`<database>_…`) are this run's alone.
  const database = `start_e2e_${uniqueSuffix()}`;
  let child: ChildProcess | undefined;
  let output = '';
  /** The variables that point `npm start` at this private stack; a CLI run with them finds the same one. */
  let stackEnv: Record<string, string> = {};

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    for (const pid of processesMentioning(home)) process.kill(pid, 'SIGKILL');
    await dropDatabase(inject('stack').databaseUrl, registryDatabase);
    await dropDatabase(inject('stack').databaseUrl, keycloakDatabase);
    await dropDatabase(inject('stack').databaseUrl, database);
    const cluster = createDatabase({ url: inject('stack').databaseUrl, poolMax: 1 });
    await dropDatabaseRoles(cluster, database).finally(() => cluster.destroy());
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('brings the stack up, runs each service as its own database role and prints its URLs', async () => {
    const ports = {
      kafka: await freePort(),
      controller: await freePort(),
      registry: await freePort(),
      management: await freePort(),
      zipkin: await freePort(),
      keycloak: await freePort(),
      kafkaMetrics: await freePort(),
      prometheus: await freePort(),
    };
    // What picks this stack, as an operator's shell would set it for `npm start` and the CLIs alike.
    stackEnv = {
      PASSERELLE_HOME: home,
      PASSERELLE_KAFKA_PORT: String(ports.kafka),
      PASSERELLE_KAFKA_CONTROLLER_PORT: String(ports.controller),
      PASSERELLE_KAFKA_METRICS_PORT: String(ports.kafkaMetrics),
      PASSERELLE_PROMETHEUS_PORT: String(ports.prometheus),
      // Scrapes every 5 s (each scrape may take as long), so the targets' health is known soon after the start.
      PASSERELLE_PROMETHEUS_INTERVAL_S: '5',
      PASSERELLE_REGISTRY_PORT: String(ports.registry),
      PASSERELLE_REGISTRY_MANAGEMENT_PORT: String(ports.management),
      PASSERELLE_ZIPKIN_PORT: String(ports.zipkin),
      PASSERELLE_REGISTRY_DATABASE: registryDatabase,
      PASSERELLE_KEYCLOAK_PORT: String(ports.keycloak),
      PASSERELLE_KEYCLOAK_DATABASE: keycloakDatabase,
      DATABASE_URL: withDatabase(inject('stack').databaseUrl, database),
    };
    child = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...stackEnv, PASSERELLE_START_SERVICES: 'adapter-justice,projector,view-api', PASSERELLE_DEMO: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const ready = await new Promise<boolean>((resolve) => {
      // A cold start: Kafka, the registry, Zipkin and Keycloak (unpacked, built and started on an empty database).
      const timer = setTimeout(() => resolve(false), 480_000);
      const check = setInterval(() => {
        if (output.includes('press Ctrl-C to stop')) {
          clearInterval(check);
          clearTimeout(timer);
          resolve(true);
        }
        if (child?.exitCode !== null) {
          clearInterval(check);
          clearTimeout(timer);
          resolve(false);
        }
      }, 250);
    });
    expect(ready, output).toBe(true);
    expect(output).toContain(`127.0.0.1:${ports.kafka}`);
    expect(output).toContain(`http://127.0.0.1:${ports.registry}/apis/ccompat/v7`);
    expect(output).toContain(`http://127.0.0.1:${ports.zipkin}/zipkin/`);
    expect(output).toContain(`keycloak: issuer http://127.0.0.1:${ports.keycloak}/realms/passerelle`);
    const javaPids = processesMentioning(home);
    expect(javaPids.length).toBeGreaterThanOrEqual(4);

    // Each service's pool connects as its role; migrations ran as the migrator (and are done).
    const db = createDatabase({ url: withDatabase(inject('stack').databaseUrl, database), poolMax: 1 });
    try {
      const users = await sessionUsers(db);
      expect(users, JSON.stringify(users)).toMatchObject({
        'adapter-justice': [`${database}_adapter_justice`],
        'passerelle-projector': [`${database}_projector`],
        'passerelle-view-api': [`${database}_view_api`],
      });
      const owners = (await db.raw(
        "SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace IN ('adapter_justice'::regnamespace, 'view'::regnamespace, 'view_api'::regnamespace, 'keystore'::regnamespace)",
      )) as { rows: { owner: string }[] };
      expect(owners.rows.map((r) => r.owner)).toEqual([`${database}_migrator`]);
    } finally {
      await db.destroy();
    }
    const secrets = JSON.parse(fs.readFileSync(path.join(home, 'secrets.json'), 'utf8')) as {
      databasePasswords: Record<string, string>;
      keyEncryptionKey: string;
    };
    expect(Object.keys(secrets.databasePasswords)).toEqual(
      expect.arrayContaining(['migrator', 'adapter_justice', 'projector', 'view_api']),
    );
    expect(output).not.toContain(secrets.databasePasswords['migrator']);
    // One key-encryption key for the adapters, the projector and the view API, kept with the other secrets and never printed.
    expect(secrets.keyEncryptionKey).toMatch(/^[0-9a-f]{64}$/);
    expect(output).not.toContain(secrets.keyEncryptionKey);
  }, 600_000);

  it('prints Prometheus’ URL, and Prometheus finds every part of the stack and every service it started up', async () => {
    const prometheus = `http://127.0.0.1:${stackEnv['PASSERELLE_PROMETHEUS_PORT']}`;
    expect(output).toContain(`${prometheus}/`);
    expect(output).toContain(`${prometheus}/alerts`);
    let targets: { labels: Record<string, string>; health: string; lastError: string }[] = [];
    const allUp = await waitFor(
      'every Prometheus target up',
      async () => {
        const response = await fetch(`${prometheus}/api/v1/targets?state=active`);
        targets = ((await response.json()) as { data: { activeTargets: typeof targets } }).data.activeTargets;
        return targets.length === 8 && targets.every((target) => target.health === 'up');
      },
      120_000,
      1_000,
    ).then(
      () => true,
      () => false,
    );
    const health = targets.map(
      (target) => `${target.labels['service']}=${target.health}${target.lastError ? ` (${target.lastError})` : ''}`,
    );
    expect(allUp, health.join(', ')).toBe(true);
    expect(targets.map((target) => target.labels['service']).sort()).toEqual([
      'adapter-justice',
      'kafka',
      'projector',
      'projector-lag',
      'prometheus',
      'schema-registry',
      'view-api',
      'zipkin',
    ]);
    // The rules are loaded, and none fires on a healthy stack at rest.
    const rules = (await (await fetch(`${prometheus}/api/v1/rules?type=alert`)).json()) as {
      data: { groups: { rules: { name: string; state: string }[] }[] };
    };
    const alerts = rules.data.groups.flatMap((group) => group.rules);
    expect(alerts.map((rule) => rule.name)).toContain('PasserelleProjectorLagGrowing');
    expect(alerts.filter((rule) => rule.state === 'firing').map((rule) => rule.name)).toEqual([]);
    // The broker's own meters arrive through the JMX exporter.
    const query = await fetch(
      `${prometheus}/api/v1/query?query=${encodeURIComponent('count({service="kafka", __name__=~"kafka_server_.*"})')}`,
    );
    const counted = (await query.json()) as { data: { result: { value: [number, string] }[] } };
    expect(Number(counted.data.result[0]?.value[1] ?? 0)).toBeGreaterThan(10);
  }, 180_000);

  it('runs `npm run projector -- status` and `dead-letters list` as docs/operations.md writes them, against the stack it started', async () => {
    const statusCommand = documentedCommand('npm run projector -- status');
    const listCommand = documentedCommand('npm run projector -- dead-letters list');
    expect([statusCommand, listCommand]).toEqual(['npm run projector -- status', 'npm run projector -- dead-letters list']);
    const credentials = JSON.parse(fs.readFileSync(path.join(home, 'kafka-credentials.json'), 'utf8')) as {
      principals: Record<string, { password: string }>;
    };

    const status = await run(statusCommand, { ...cleanEnvironment(), ...stackEnv });
    const list = await run(listCommand, { ...cleanEnvironment(), ...stackEnv });

    expect(status.code, status.out + status.err).toBe(0);
    expect(status.out).toContain('view schema view: present');
    expect(status.out).toMatch(/consumer group passerelle-projector: \d+ topics, lag \d+/);
    expect(list.code, list.out + list.err).toBe(0);
    expect(list.out).toContain('dead letter(s) in passerelle.dead-letter.v1');
    for (const principal of Object.values(credentials.principals))
      expect(status.out + status.err + list.out + list.err).not.toContain(principal.password);
  }, 120_000);

  it('without the data folder’s credentials, `npm run projector -- status` exits 2 naming the variables it lacks, never a value', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-empty-'));
    try {
      const result = await run('npm run projector -- status', { ...cleanEnvironment(), PASSERELLE_HOME: empty });

      expect(result.code, result.out + result.err).toBe(2);
      expect(result.err).toContain('PASSERELLE_KAFKA_USERNAME');
      expect(result.err).toContain('PASSERELLE_KAFKA_CA_FILE');
      expect(result.err).not.toContain('Closed connection');
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);

  it('on SIGINT stops what it started and leaves no Java process of the project running', async () => {
    expect(child?.exitCode, output).toBeNull();
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child?.kill('SIGINT');
    const code = await exited;

    expect(code, output).toBe(0);
    expect(output).toContain('[passerelle] stopped');
    expect(processesMentioning(home)).toEqual([]);
  }, 600_000);
});
