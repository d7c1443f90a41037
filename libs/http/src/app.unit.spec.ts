import { afterEach, describe, expect, it } from 'vitest';
import express from 'express';
import { Writable } from 'node:stream';
import { createLogger } from '@passerelle/logging';
import { createHttpApp, finishApp, listen, problems, requireContentType, type RunningServer } from './index.ts';

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
    expect(await ready.json()).toMatchObject({ status: 'not ready', checks: [{ name: 'postgres', ok: false, detail: 'connection refused' }] });
  });

  it('stays ready when only an optional check fails', async () => {
    const { url } = await start(false, false);

    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('turns a validation failure into RFC 7807 problem details naming the field', async () => {
    const { url } = await start(true, true);

    const response = await fetch(`${url}/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"size":"big"}' });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 400, title: 'Invalid request', errors: [{ field: 'size', reason: 'must be a number' }], instance: '/things' });
  });

  it('answers 415 for an unknown content type, 413 for an oversized body and 400 for broken JSON, without echoing the body', async () => {
    const { url } = await start(true, true);

    const wrongType = await fetch(`${url}/things`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    const tooLarge = await fetch(`${url}/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 1, pad: 'x'.repeat(2048) }) });
    const broken = await fetch(`${url}/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"size": CanaryName' });

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
});
