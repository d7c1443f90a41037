import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:net';
import { pidFile, portIsFree, stateOf } from './processes.ts';

describe('pid files', () => {
  let runDir: string;

  beforeEach(() => {
    runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-run-'));
  });

  afterEach(() => {
    fs.rmSync(runDir, { recursive: true, force: true });
  });

  it('reports a part with no pid file as stopped', () => {
    expect(stateOf(runDir, 'kafka')).toEqual({ kind: 'stopped' });
  });

  it('detects a stale pid file whose pid now runs another program', () => {
    // This test process is alive but is not a kafka of the stack.
    fs.writeFileSync(pidFile(runDir, 'kafka'), JSON.stringify({ pid: process.pid, startedAt: 'x' }));

    expect(stateOf(runDir, 'kafka')).toEqual({ kind: 'stale', pid: process.pid });
  });

  it('detects a stale pid file whose process is gone', () => {
    fs.writeFileSync(pidFile(runDir, 'zipkin'), JSON.stringify({ pid: 2 ** 22 + 7, startedAt: 'x' }));

    expect(stateOf(runDir, 'zipkin').kind).toBe('stale');
  });

  it('treats an unreadable pid file as stopped', () => {
    fs.writeFileSync(pidFile(runDir, 'registry'), 'garbage');

    expect(stateOf(runDir, 'registry')).toEqual({ kind: 'stopped' });
  });
});

describe('portIsFree', () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('is false while another process listens on the port and true after it closes', async () => {
    server = createServer();
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as { port: number };

    expect(await portIsFree('127.0.0.1', port)).toBe(false);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    expect(await portIsFree('127.0.0.1', port)).toBe(true);
  });
});
