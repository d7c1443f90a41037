import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@passerelle/logging';
import { DEFAULT_HTTP_LIMITS, createHttpApp, finishApp, listen, readHttpLimits, type HttpLimits, type RunningServer } from './index.ts';

const CANARY = 'Philomena-Castellanos';

class Lines extends Writable {
  readonly chunks: string[] = [];
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }
}

/** An error shaped like node-postgres's: SQL text and a value in its message. */
class FakeDatabaseError extends Error {
  readonly code = '22P02';
  constructor() {
    super(`insert into "adapter_justice"."outbox" ("payload") values ($1) - invalid input syntax for type uuid: "${CANARY}"`);
    this.name = 'DatabaseError';
  }
}

describe('the hardened HTTP skeleton', () => {
  let server: RunningServer | undefined;
  let logs: Lines;

  afterEach(async () => {
    await server?.stop(100);
    server = undefined;
  });

  async function start(limits: Partial<HttpLimits>): Promise<string> {
    logs = new Lines();
    const logger = createLogger({ service: 'test', destination: logs as never });
    const { app } = createHttpApp({ service: 'test', logger, limits });
    app.get('/v1/referrals', (_req, res) => {
      res.json({ items: [] });
    });
    app.get('/boom', () => {
      throw new FakeDatabaseError();
    });
    app.get('/saturated', () => {
      throw Object.assign(new Error(`sorry, too many clients already ${CANARY}`), { code: '53300' });
    });
    app.get('/slow', async (_req, res) => {
      await sleep(400);
      res.json({ late: true });
    });
    finishApp(app, logger);
    server = await listen(app, 0);
    return server.url;
  }

  it('sends the security headers on answers, errors and probes alike, and no X-Powered-By', async () => {
    const url = await start({ rateLimitPerMinute: 0 });

    for (const path of ['/v1/referrals', '/nowhere', '/healthz']) {
      const response = await fetch(`${url}${path}`);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('answers 429 problem details with Retry-After once a token has used its allowance, and keeps probes open', async () => {
    const url = await start({ rateLimitPerMinute: 3 });
    const asToken = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

    const allowed = [];
    for (let i = 0; i < 3; i += 1) allowed.push(await fetch(`${url}/v1/referrals`, asToken('token-of-ministry-a-0123456789abcdef')));
    const refused = await fetch(`${url}/v1/referrals`, asToken('token-of-ministry-a-0123456789abcdef'));
    const otherToken = await fetch(`${url}/v1/referrals`, asToken('token-of-ministry-b-0123456789abcdef'));
    const probes = await Promise.all(Array.from({ length: 5 }, () => fetch(`${url}/healthz`)));

    expect(allowed.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(allowed[0]?.headers.get('ratelimit-limit')).toBe('3');
    expect(allowed[2]?.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ status: 429, title: 'Too many requests', type: expect.stringContaining('too-many-requests') as unknown });
    expect(otherToken.status).toBe(200);
    expect(probes.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(logs.chunks.join('')).not.toContain('token-of-ministry');
  });

  it('limits requests without a token by client address', async () => {
    const url = await start({ rateLimitPerMinute: 2 });

    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await fetch(`${url}/v1/referrals`)).status);

    expect(statuses).toEqual([200, 200, 429]);
  });

  it('answers 503 problem details when a handler passes the deadline, and survives its late answer', async () => {
    const url = await start({ rateLimitPerMinute: 0, requestTimeoutMs: 100 });

    const response = await fetch(`${url}/slow`);
    const body = (await response.json()) as Record<string, unknown>;
    await sleep(500);
    const after = await fetch(`${url}/healthz`);

    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(body).toMatchObject({ status: 503, title: 'Service unavailable' });
    expect(after.status).toBe(200);
  });

  it('answers an unknown error with 500 and a request id only: no stack, SQL, driver message or value, in the body or the log', async () => {
    const url = await start({ rateLimitPerMinute: 0 });

    const response = await fetch(`${url}/boom`);
    const text = await response.text();
    const body = JSON.parse(text) as Record<string, unknown>;

    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(body).toMatchObject({ status: 500, title: 'Internal error', requestId: response.headers.get('x-request-id') });
    for (const leak of [CANARY, 'insert into', 'outbox', 'DatabaseError', '22P02', ' at ', 'syntax']) expect(text).not.toContain(leak);
    const logged = logs.chunks.join('');
    expect(logged).toContain('22P02');
    expect(logged).not.toContain(CANARY);
    expect(logged).not.toContain('insert into');
  });

  it('answers 503 with Retry-After, not 500, when the database cannot take another connection', async () => {
    const url = await start({ rateLimitPerMinute: 0 });

    const response = await fetch(`${url}/saturated`);
    const text = await response.text();

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(JSON.parse(text)).toMatchObject({ status: 503, title: 'Service unavailable' });
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain('too many clients');
  });

  it('reads the limits from the environment with defaults and a floor of 0', () => {
    const asked: { variable: string; min?: number }[] = [];
    const reader = (values: Record<string, number>) => ({
      integer(variable: string, fallback: number, range: { min?: number } = {}) {
        asked.push({ variable, ...range });
        return values[variable] ?? fallback;
      },
    });

    expect(readHttpLimits(reader({}))).toEqual(DEFAULT_HTTP_LIMITS);
    expect(readHttpLimits(reader({ PASSERELLE_RATE_LIMIT_PER_MINUTE: 0, PASSERELLE_REQUEST_TIMEOUT_MS: 2500 }))).toEqual({ rateLimitPerMinute: 0, requestTimeoutMs: 2500 });
    expect(asked).toContainEqual(expect.objectContaining({ variable: 'PASSERELLE_RATE_LIMIT_PER_MINUTE', min: 0 }));
  });
});
