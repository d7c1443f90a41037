import { afterEach, describe, expect, it } from 'vitest';
import express from 'express';
import { Writable } from 'node:stream';
import { createLogger } from '@passerelle/logging';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHttpApp, finishApp, listen, problems, readMetricsToken, requireContentType, type RunningServer } from './index.ts';

const quiet = createLogger({ service: 'test', destination: new Writable({ write: (_c, _e, cb) => cb() }) as never });

describe('the service HTTP skeleton', () => {
  let server: RunningServer | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  async function start(required: boolean, ok: boolean): Promise<RunningServer> {
    const { app } = createHttpApp({
      service: 'test',
      logger: quiet,
      readiness: [{ name: 'postgres', required, check: async () => ({ ok, detail: ok ? undefined : 'connection refused' }) }],
    });
    app.post('/things', requireContentType(['application/json']), express.json({ limit: '1kb' }), (req, res) => {
      const body = req.body as { size?: unknown };
      if (typeof body.size !== 'number') throw problems.validation([{ field: 'size', reason: 'must be a number' }]);
      res.status(202).json({ accepted: true });
    });
    finishApp(app, quiet);
    server = await listen(app, 0);
    return server;
  }

  it('answers /healthz and reports /readyz 503 when a required check fails', async () => {
    const { url } = await start(true, false);

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      status: 'not ready',
      checks: [{ name: 'postgres', ok: false, detail: 'connection refused' }],
    });
  });

  it('stays ready when only an optional check fails', async () => {
    const { url } = await start(false, false);

    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('turns a validation failure into RFC 7807 problem details naming the field', async () => {
    const { url } = await start(true, true);

    const response = await fetch(`${url}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"size":"big"}',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({
      status: 400,
      title: 'Invalid request',
      errors: [{ field: 'size', reason: 'must be a number' }],
      instance: '/things',
    });
  });

  it('answers 415 for an unknown content type, 413 for an oversized body and 400 for broken JSON, without echoing the body', async () => {
    const { url } = await start(true, true);

    const wrongType = await fetch(`${url}/things`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    const tooLarge = await fetch(`${url}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: 1, pad: 'x'.repeat(2048) }),
    });
    const broken = await fetch(`${url}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"size": CanaryName',
    });

    expect(wrongType.status).toBe(415);
    expect(tooLarge.status).toBe(413);
    expect(broken.status).toBe(400);
    expect(JSON.stringify(await broken.json())).not.toContain('CanaryName');
  });

  it('answers 404 with problem details for an unknown route and exposes Prometheus metrics', async () => {
    const { url } = await start(true, true);

    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    expect((await missing.json()) as object).toMatchObject({ title: 'Not found' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('http_server_duration_seconds_count');
  });

  it('runs the readiness checks once for any number of probes within a second, then afresh', async () => {
    let runs = 0;
    const { app } = createHttpApp({
      service: 'test',
      logger: quiet,
      readiness: [{ name: 'postgres', required: true, check: async () => ({ ok: ++runs > 0 }) }],
    });
    finishApp(app, quiet);
    server = await listen(app, 0);
    const { url } = server;

    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/readyz`)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(runs).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(runs).toBe(2);
  });

  it('asks for the metrics token when one is set: none or a wrong one is 401 with a problem, the right one reads', async () => {
    const token = 'm'.repeat(40);
    const { app } = createHttpApp({ service: 'test', logger: quiet, metricsToken: token });
    finishApp(app, quiet);
    server = await listen(app, 0);

    const without = await fetch(`${server.url}/metrics`);
    expect(without.status).toBe(401);
    expect(without.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(without.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${'m'.repeat(39)}x` } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(token);
    const basic = await fetch(`${server.url}/metrics`, { headers: { authorization: `Basic ${token}` } });
    expect(basic.status).toBe(401);
    const right = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('process_cpu_user_seconds_total');
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

describe('readMetricsToken', () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'metrics-token-'));
  const file = (name: string, text: string): string => {
    const where = path.join(folder, name);
    fs.writeFileSync(where, text);
    return where;
  };
  /** The two methods of `@passerelle/config`'s EnvReader it uses; problems are collected instead of thrown. */
  const read = (env: Record<string, string>) => {
    const problems: Array<{ variable: string; reason: string }> = [];
    const token = readMetricsToken({
      optionalFile: (variable) => (env[variable] === undefined ? undefined : fs.readFileSync(env[variable], 'utf8')),
      reject: (variable, reason) => problems.push({ variable, reason }),
    });
    return { token, problems };
  };

  it('is undefined when unset and the trimmed file content when set', () => {
    expect(read({})).toEqual({ token: undefined, problems: [] });
    expect(read({ PASSERELLE_METRICS_TOKEN_FILE: file('good', `${'t'.repeat(32)}\n`) })).toEqual({ token: 't'.repeat(32), problems: [] });
  });

  it('refuses a short token and two tokens, never echoing the content', () => {
    for (const bad of [file('short', 'secret-canary'), file('two', `${'a'.repeat(32)} ${'b'.repeat(32)}`)]) {
      const { token, problems } = read({ PASSERELLE_METRICS_TOKEN_FILE: bad });
      expect(token).toBeUndefined();
      expect(problems.map((problem) => problem.variable)).toEqual(['PASSERELLE_METRICS_TOKEN_FILE']);
      expect(JSON.stringify(problems)).not.toMatch(/secret-canary|aaaa/);
    }
  });
});
