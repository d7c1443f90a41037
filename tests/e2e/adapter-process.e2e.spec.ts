import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import { REPO_ROOT } from '@passerelle/infra';
import { post } from '@passerelle/adapter/testing';
import { createTestDatabase, kafkaEnvFor, type TestDatabase } from '@passerelle/testing';
import { eventIdsOf, openDatabase } from '../adapters/adapter-harness.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Started {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function runMain(service: string, env: Record<string, string>): Started {
  // Node itself with tsx's loader, not the tsx CLI: the CLI relays SIGTERM and SIGKILLs the child
  // when it does not acknowledge within 30 ms, which a busy machine (or a SASL handshake in
  // flight) easily exceeds; the adapter must receive the SIGTERM itself.
  const loader = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', loader, path.join(REPO_ROOT, 'services', service, 'src', 'main.ts')], {
    cwd: path.join(REPO_ROOT, 'services', service),
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', OTEL_TRACES_EXPORTER: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

describe('an adapter process', () => {
  const stack = inject('stack');
  let database: TestDatabase;
  let db: Knex;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(stack.databaseUrl, 'adapter_process');
    db = openDatabase(database.url);
  });

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await db?.destroy();
    await database?.drop();
  });

  it('refuses to start without a ministry token and with a short pseudonym key, naming both variables and neither value', async () => {
    const started = runMain('adapter-health', { DATABASE_URL: database.url, PASSERELLE_PSEUDONYM_KEY: 'short-key-value-Zq9' });
    children.push(started.child);

    const code = await started.exited;

    expect(code).toBe(1);
    expect(started.output()).toContain('PASSERELLE_MINISTRY_TOKEN: is required and not set');
    expect(started.output()).toContain('PASSERELLE_PSEUDONYM_KEY: must be at least 32 characters long');
    expect(started.output()).not.toContain('short-key-value-Zq9');
  });

  it('on SIGTERM stops accepting, publishes what it accepted and exits 0', async () => {
    const port = await freePort();
    const token = randomBytes(24).toString('hex');
    const started = runMain('adapter-justice', {
      PORT: String(port),
      DATABASE_URL: database.url,
      ...kafkaEnvFor(stack, 'justice'),
      PASSERELLE_REGISTRY_URL: stack.registryUrl,
      PASSERELLE_MINISTRY_TOKEN: token,
      PASSERELLE_PSEUDONYM_KEY: randomBytes(24).toString('hex'),
    });
    children.push(started.child);
    const url = `http://127.0.0.1:${port}`;
    let ready = false;
    for (let i = 0; i < 120 && !ready && started.child.exitCode === null; i += 1) {
      ready = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
      if (!ready) await sleep(500);
    }
    expect(ready, started.output()).toBe(true);

    const answer = await post(url, '/referrals', { referralNumber: 'VWAP-SIGTERM-1', program: 'vwap', victim: { personId: 'JP-S-1' }, referredTo: { serviceType: 'community_agency' }, supportNeeded: 'housing', region: 'east', urgency: 'routine', consent: 'standard', referredAt: '2025-03-05T10:00:00Z' }, { token });
    started.child.kill('SIGTERM');
    const code = await started.exited;
    const refused = await fetch(`${url}/healthz`).then(() => 'answered', () => 'refused');
    const rows = (await db.withSchema('adapter_justice').table('outbox').select('event_id', 'published_at')) as { event_id: string; published_at: Date | null }[];

    expect(answer.status).toBe(202);
    expect(code, started.output()).toBe(0);
    expect(refused).toBe('refused');
    expect(rows.map((r) => r.event_id)).toEqual(eventIdsOf(answer.body));
    expect(rows.every((r) => r.published_at !== null)).toBe(true);
    expect(started.output()).toContain('adapter stopped');
  }, 120_000);
});
