import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@passerelle/logging';
import {
  DEFAULT_HTTP_LIMITS,
  createHttpApp,
  finishApp,
  limitAuthenticated,
  listen,
  problems,
  readHttpLimits,
  type HttpLimits,
  type RunningServer,
} from './index.ts';

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
    // A service's own authentication: `Bearer good-<subject>` is a verified subject, anything else 401.
    app.get('/v1/authenticated', (req, res) => {
      const subject = /^Bearer good-([a-z-]+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (subject === undefined) throw problems.unauthorized();
      limitAuthenticated(res, subject);
      res.json({ subject });
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

  it('limits rotating made-up bearer tokens from one address by the address: 429 problem details with Retry-After past the limit, probes open', async () => {
    const url = await start({ rateLimitPerMinute: 3 });
    const madeUp = (i: number) => ({ headers: { authorization: `Bearer made-up-token-${i}-${'x'.repeat(32)}` } });

    const answers = [];
    for (let i = 0; i < 6; i += 1) answers.push(await fetch(`${url}/v1/authenticated`, madeUp(i)));
    const refused = answers[3];
    const probes = await Promise.all(Array.from({ length: 5 }, () => fetch(`${url}/healthz`)));

    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 429, 429, 429]);
    expect(answers[0]?.headers.get('ratelimit-limit')).toBe('3');
    expect(answers[2]?.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused?.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused?.json()).toMatchObject({
      status: 429,
      title: 'Too many requests',
      detail: expect.stringContaining('client address') as unknown,
      type: expect.stringContaining('too-many-requests') as unknown,
    });
    expect(probes.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(logs.chunks.join('')).not.toContain('made-up-token');
  });

  it('counts an authenticated request against its subject: a subject with a higher quota is not limited at the default rate, others are', async () => {
    const url = await start({ rateLimitPerMinute: 3, rateLimitQuotas: { 'bulk-loader': 1_000, unlimited: 0 } });
    const as = (subject: string) => fetch(`${url}/v1/authenticated`, { headers: { authorization: `Bearer good-${subject}` } });

    const bulk = [];
    for (let i = 0; i < 30; i += 1) bulk.push((await as('bulk-loader')).status);
    const unlimited = [];
    for (let i = 0; i < 30; i += 1) unlimited.push((await as('unlimited')).status);
    const ordinary = [];
    for (let i = 0; i < 4; i += 1) ordinary.push(await as('ordinary'));
    const lastBulk = await as('bulk-loader');

    expect(bulk).toEqual(Array.from({ length: 30 }, () => 200));
    expect(unlimited).toEqual(Array.from({ length: 30 }, () => 200));
    expect(ordinary.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(await ordinary[3]?.json()).toMatchObject({ status: 429, detail: expect.stringContaining('credential') as unknown });
    expect(ordinary[3]?.headers.get('retry-after')).not.toBeNull();
    expect(lastBulk.status).toBe(200);
    expect(lastBulk.headers.get('ratelimit-limit')).toBe('1000');
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

  it('reads the limits and the per-subject quotas from the environment, naming the variable of a bad quota list', () => {
    const asked: { variable: string; min?: number }[] = [];
    const rejected: { variable: string; reason: string }[] = [];
    const reader = (values: Record<string, number | string>) => ({
      integer(variable: string, fallback: number, range: { min?: number } = {}) {
        asked.push({ variable, ...range });
        return (values[variable] as number | undefined) ?? fallback;
      },
      optionalString: (variable: string) => values[variable] as string | undefined,
      reject: (variable: string, reason: string) => void rejected.push({ variable, reason }),
    });

    expect(readHttpLimits(reader({}))).toEqual(DEFAULT_HTTP_LIMITS);
    expect(readHttpLimits(reader({ PASSERELLE_RATE_LIMIT_PER_MINUTE: 0, PASSERELLE_REQUEST_TIMEOUT_MS: 2500 }))).toEqual({
      rateLimitPerMinute: 0,
      requestTimeoutMs: 2500,
    });
    expect(asked).toContainEqual(expect.objectContaining({ variable: 'PASSERELLE_RATE_LIMIT_PER_MINUTE', min: 0 }));
    expect(readHttpLimits(reader({ PASSERELLE_RATE_LIMIT_QUOTAS: 'JUSTICE=60000, bench-loader=0,auth0|user-7=1200' }))).toEqual({
      ...DEFAULT_HTTP_LIMITS,
      rateLimitQuotas: { JUSTICE: 60_000, 'bench-loader': 0, 'auth0|user-7': 1_200 },
    });
    expect(rejected).toEqual([]);

    for (const bad of [
      'JUSTICE',
      'JUSTICE=fast',
      'JUSTICE=-1',
      'JUSTICE=99999999999',
      '=5',
      'a b=5',
      'JUSTICE=5,JUSTICE=6',
      'JUSTICE=5,,HEALTH=6',
    ])
      readHttpLimits(reader({ PASSERELLE_RATE_LIMIT_QUOTAS: bad }));
    expect(rejected).toHaveLength(8);
    expect(new Set(rejected.map((r) => r.variable))).toEqual(new Set(['PASSERELLE_RATE_LIMIT_QUOTAS']));
    expect(rejected.map((r) => r.reason)).toContainEqual(expect.stringMatching(/^entry 2 names an id an earlier entry/));
  });
});
