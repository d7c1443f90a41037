import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import { post } from '@passerelle/adapter/testing';
import { TEST_KEY_ENCRYPTION_KEY_HEX } from '@passerelle/contracts/testing';
import { freePort, createTestDatabase, kafkaEnvFor, type TestDatabase } from '@passerelle/testing';
import { eventIdsOf, openDatabase } from '../adapters/adapter-harness.ts';
import { runServiceMain } from '../support/service-process.ts';

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
    const started = runServiceMain('adapter-health', { DATABASE_URL: database.url, PASSERELLE_PSEUDONYM_KEY: 'short-key-value-Zq9' });
    children.push(started.child);

    const code = await started.exited;

    expect(code).toBe(1);
    expect(started.output()).toContain('PASSERELLE_MINISTRY_TOKEN: is required and not set');
    expect(started.output()).toContain('PASSERELLE_PSEUDONYM_KEY: must be at least 32 characters long');
    expect(started.output()).not.toContain('short-key-value-Zq9');
  });

  it('refuses to start without a key-encryption key, or with one that is not 64 hex digits, naming the variable and never the value', async () => {
    const secrets = {
      DATABASE_URL: database.url,
      PASSERELLE_MINISTRY_TOKEN: randomBytes(24).toString('hex'),
      PASSERELLE_PSEUDONYM_KEY: randomBytes(24).toString('hex'),
    };
    const malformed = `${'9c'.repeat(31)}Zq`;
    const missing = runServiceMain('adapter-education', secrets);
    const wrong = runServiceMain('adapter-education', { ...secrets, PASSERELLE_KEY_ENCRYPTION_KEY: malformed });
    children.push(missing.child, wrong.child);

    const codes = await Promise.all([missing.exited, wrong.exited]);

    expect(codes).toEqual([1, 1]);
    expect(missing.output()).toContain('PASSERELLE_KEY_ENCRYPTION_KEY: is required and not set');
    expect(wrong.output()).toContain('PASSERELLE_KEY_ENCRYPTION_KEY: must be 64 hexadecimal digits (32 bytes)');
    expect(wrong.output()).not.toContain(malformed);
    expect(wrong.output()).not.toContain('9c9c9c');
  });

  it('on SIGTERM stops accepting, publishes what it accepted and exits 0', async () => {
    const port = await freePort();
    const token = randomBytes(24).toString('hex');
    const started = runServiceMain('adapter-justice', {
      PORT: String(port),
      DATABASE_URL: database.url,
      ...kafkaEnvFor(stack, 'justice'),
      PASSERELLE_REGISTRY_URL: stack.registryUrl,
      PASSERELLE_MINISTRY_TOKEN: token,
      PASSERELLE_PSEUDONYM_KEY: randomBytes(24).toString('hex'),
      PASSERELLE_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY_HEX,
    });
    children.push(started.child);
    const url = `http://127.0.0.1:${port}`;
    let ready = false;
    for (let i = 0; i < 120 && !ready && started.child.exitCode === null; i += 1) {
      ready = await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (!ready) await sleep(500);
    }
    expect(ready, started.output()).toBe(true);

    const answer = await post(
      url,
      '/referrals',
      {
        referralNumber: 'VWAP-SIGTERM-1',
        program: 'vwap',
        victim: { personId: 'JP-S-1' },
        referredTo: { serviceType: 'community_agency' },
        supportNeeded: 'housing',
        region: 'east',
        urgency: 'routine',
        consent: 'standard',
        referredAt: '2025-03-05T10:00:00Z',
      },
      { token },
    );
    started.child.kill('SIGTERM');
    const code = await started.exited;
    const refused = await fetch(`${url}/healthz`).then(
      () => 'answered',
      () => 'refused',
    );
    const rows = (await db.withSchema('adapter_justice').table('outbox').select('event_id', 'published_at')) as {
      event_id: string;
      published_at: Date | null;
    }[];

    expect(answer.status).toBe(202);
    expect(code, started.output()).toBe(0);
    expect(refused).toBe('refused');
    expect(rows.map((r) => r.event_id)).toEqual(eventIdsOf(answer.body));
    expect(rows.every((r) => r.published_at !== null)).toBe(true);
    expect(started.output()).toContain('adapter stopped');
  }, 120_000);
});
