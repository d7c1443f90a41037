import { describe, expect, inject, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');

interface ZipkinSpan {
  name: string;
  kind?: string;
  parentId?: string;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
}

describe('startTelemetry', () => {
  it('exports http, express and pg spans of one request to Zipkin under the caller trace, with SQL placeholders but no parameter values', async () => {
    const stack = inject('stack');
    const canary = `Canary-${randomBytes(4).toString('hex')}`;
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), [path.join(here, '../testing/probe-service.ts')], {
      env: {
        ...process.env,
        DATABASE_URL: stack.databaseUrl,
        OTEL_TRACES_EXPORTER: 'zipkin',
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${stack.zipkinUrl}/api/v2/spans`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((resolve) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        const match = /PORT=(\d+)/.exec(chunk.toString());
        if (match) resolve(Number(match[1]));
      });
    });
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');

    const response = await fetch(`http://127.0.0.1:${port}/probe/ref-1?canary=${canary}`, {
      headers: { traceparent: `00-${traceId}-${parentId}-01` },
    });
    expect(response.status).toBe(200);
    await fetch(`http://127.0.0.1:${port}/stop`);
    await new Promise((resolve) => child.once('exit', resolve));

    let spans: ZipkinSpan[] = [];
    for (let attempt = 0; attempt < 40 && spans.length < 3; attempt += 1) {
      const found = await fetch(`${stack.zipkinUrl}/api/v2/trace/${traceId}`);
      if (found.ok) spans = (await found.json()) as ZipkinSpan[];
      if (spans.length < 3) await sleep(250);
    }

    expect(spans.every((span) => span.localEndpoint?.serviceName === 'telemetry-probe')).toBe(true);
    const server = spans.find((span) => span.kind === 'SERVER');
    expect(server?.parentId).toBe(parentId);
    const query = spans.find((span) => (span.tags?.['db.query.text'] ?? span.tags?.['db.statement']) !== undefined);
    expect(query, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
    const statement = query?.tags?.['db.statement'] ?? query?.tags?.['db.query.text'];
    expect(statement).toContain('$1');
    expect(
      spans.some((span) => span.tags?.['express.type'] !== undefined),
      JSON.stringify(spans.map((s) => [s.name, s.tags])),
    ).toBe(true);
    // The canary travelled in the query string and as a SQL parameter.
    const everything = JSON.stringify(spans);
    expect(everything).not.toContain(canary.slice(7));
  });

  it('with OTEL_SDK_DISABLED=true, serves the same request and exports nothing, even under a sampled caller trace', async () => {
    const stack = inject('stack');
    const child = spawn(path.join(root, 'node_modules/.bin/tsx'), [path.join(here, '../testing/probe-service.ts')], {
      env: {
        ...process.env,
        DATABASE_URL: stack.databaseUrl,
        OTEL_SDK_DISABLED: 'true',
        OTEL_TRACES_EXPORTER: 'zipkin',
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: `${stack.zipkinUrl}/api/v2/spans`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<number>((resolve) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        const match = /PORT=(\d+)/.exec(chunk.toString());
        if (match) resolve(Number(match[1]));
      });
    });
    const traceId = randomBytes(16).toString('hex');

    const response = await fetch(`http://127.0.0.1:${port}/probe/ref-2`, {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    await fetch(`http://127.0.0.1:${port}/stop`);
    const code = await new Promise((resolve) => child.once('exit', resolve));
    // The probe flushes and shuts the SDK down before it exits: whatever it exported is in Zipkin now.
    const found = await fetch(`${stack.zipkinUrl}/api/v2/trace/${traceId}`);

    expect(response.status).toBe(200);
    expect(code).toBe(0);
    expect(found.status).toBe(404);
  });
});
