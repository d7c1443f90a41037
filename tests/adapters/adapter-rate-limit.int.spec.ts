import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AdapterConfig } from '@passerelle/adapter';
import { LogCapture, testAdapterConfig, type TestAdapterConfig } from '@passerelle/adapter/testing';
import { coordinationOfficeAdapter, start } from '@passerelle/adapter-coordination-office';
import { createTestDatabase, type TestDatabase } from '@passerelle/testing';

const stack = inject('stack');
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase(stack.databaseUrl, 'adapter_rate');
});
afterAll(async () => {
  await database?.drop();
});

async function withAdapter(http: AdapterConfig['http'], run: (url: string, config: TestAdapterConfig) => Promise<void>): Promise<void> {
  const config = testAdapterConfig(
    { ...stack, databaseUrl: database.url },
    { databaseSchema: `rate_${randomBytes(3).toString('hex')}`, logLevel: 'silent', ...(http ? { http } : {}) },
  );
  const running = await start(config, { logDestination: new LogCapture(), flushMs: 500 });
  try {
    await run(running.url, config);
  } finally {
    await running.stop();
  }
}

const milestone = (token: string, minute: number) => ({
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({
    initiativeId: 'S2016-P1-04',
    status: 'started',
    recordedAt: `2025-03-01T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00Z`,
  }),
});

describe('the rate limit of an adapter', () => {
  it('limits rotating made-up bearer tokens from one address: 429 problem details with Retry-After past the limit', async () => {
    await withAdapter({ rateLimitPerMinute: 3, requestTimeoutMs: 10_000 }, async (url) => {
      const statuses: number[] = [];
      let refused: Response | undefined;
      for (let i = 0; i < 6; i += 1) {
        const response = await fetch(`${url}/initiative-milestones`, milestone(randomBytes(32).toString('base64url'), i));
        statuses.push(response.status);
        if (response.status === 429) refused ??= response;
      }

      expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
      expect(refused?.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await refused?.json()).toMatchObject({
        status: 429,
        title: 'Too many requests',
        detail: expect.stringContaining('client address') as unknown,
      });
    });
  });

  it('lets the ministry system whose quota PASSERELLE_RATE_LIMIT_QUOTAS raises post past the default rate', async () => {
    const quotas = { [coordinationOfficeAdapter.ministry]: 10_000 };
    await withAdapter({ rateLimitPerMinute: 3, requestTimeoutMs: 10_000, rateLimitQuotas: quotas }, async (url, config) => {
      const statuses: number[] = [];
      for (let i = 0; i < 15; i += 1)
        statuses.push((await fetch(`${url}/initiative-milestones`, milestone(config.ministryToken, i))).status);

      expect(statuses).toEqual(Array.from({ length: 15 }, () => 202));
    });
  });

  it('limits the ministry system at the default rate without a quota of its own', async () => {
    await withAdapter({ rateLimitPerMinute: 3, requestTimeoutMs: 10_000 }, async (url, config) => {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1)
        statuses.push((await fetch(`${url}/initiative-milestones`, milestone(config.ministryToken, i))).status);

      expect(statuses).toEqual([202, 202, 202, 429]);
    });
  });
});
