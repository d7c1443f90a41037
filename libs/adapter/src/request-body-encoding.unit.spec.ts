import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { createHttpApp, finishApp, listen, type RunningServer } from '@passerelle/http';
import { createLogger } from '@passerelle/logging';
import { csvBody, jsonBody } from './request-body.ts';

const LIMIT = '64kb';
let server: RunningServer;

beforeAll(async () => {
  const logger = createLogger({
    service: 'test',
    destination: new Writable({ write: (_chunk, _encoding, callback) => callback() }) as never,
  });
  const { app } = createHttpApp({ service: 'test', logger, limits: { rateLimitPerMinute: 0 } });
  app.post('/records', ...jsonBody(LIMIT), (req, res) => {
    res.status(202).json({ echoed: req.body as unknown });
  });
  app.post('/batches', ...csvBody(LIMIT), (req, res) => {
    res.status(202).json({ length: (req.body as string).length });
  });
  finishApp(app, logger);
  server = await listen(app, 0);
});
afterAll(() => server.stop(100));

const post = (path: string, body: Buffer, headers: Record<string, string>) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers, body });
const json = { 'content-type': 'application/json' };

describe('compressed request bodies', () => {
  it('reads a gzip body with a valid Content-Type as the JSON it decompresses to', async () => {
    const response = await post('/records', gzipSync(JSON.stringify({ referralId: 'r-1', notes: 'x'.repeat(1000) })), {
      ...json,
      'content-encoding': 'gzip',
    });

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ echoed: { referralId: 'r-1', notes: 'x'.repeat(1000) } });
  });

  it('reads a gzip CSV batch too', async () => {
    const response = await post('/batches', gzipSync('a,b\n1,2\n'), { 'content-type': 'text/csv', 'content-encoding': 'GZIP' });

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ length: 8 });
  });

  it('refuses a zip bomb (a few kB that inflate past the body limit) with 413 problem details', async () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);

    const response = await post('/records', bomb, { ...json, 'content-encoding': 'gzip' });

    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 413, detail: expect.stringContaining('exceeds the limit') as unknown });
  });

  it.each(['br', 'x-made-up', 'deflate', 'gzip, gzip'])(
    'refuses Content-Encoding %s with 415 naming the coding, not the content type',
    async (coding) => {
      const body = coding === 'br' ? brotliCompressSync('{}') : Buffer.from('{}');

      const response = await post('/records', body, { ...json, 'content-encoding': coding });
      const problem = (await response.json()) as { status: number; detail: string; errors: { field: string }[] };

      expect(response.status).toBe(415);
      expect(problem.detail).toContain(
        /^[A-Za-z0-9._-]+$/.test(coding)
          ? `Content-Encoding ${coding} is not supported; send the body uncompressed`
          : 'is not supported; send the body uncompressed',
      );
      expect(problem.detail).not.toContain('content type');
      expect(problem.errors).toEqual([expect.objectContaining({ field: 'Content-Encoding' })]);
    },
  );

  it('answers 400, not 500, for a body that claims gzip but is not', async () => {
    const truncated = gzipSync(JSON.stringify({ a: 'b'.repeat(500) })).subarray(0, 30);

    for (const body of [Buffer.from('{"plain": true}'), truncated]) {
      const response = await post('/records', body, { ...json, 'content-encoding': 'gzip' });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        status: 400,
        errors: [{ field: 'body', reason: 'is not valid data for its Content-Encoding' }],
      });
    }
  });
});
