import { afterEach, describe, expect, inject, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:net';
import { loadStackConfig } from './config.ts';
import { PortInUseError } from './errors.ts';
import { up } from './stack.ts';

describe('infra up', () => {
  let blocker: Server | undefined;
  let home: string | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it("fails in seconds, naming the port, when Kafka's port is already taken", async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(0, '127.0.0.1', () => resolve()));
    const { port } = blocker.address() as { port: number };
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-home-'));
    const config = loadStackConfig({
      PASSERELLE_HOME: home,
      PASSERELLE_KAFKA_PORT: String(port),
      DATABASE_URL: inject('stack').databaseUrl,
    });
    const began = Date.now();

    const failure = await up(config, () => undefined, ['kafka']).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(PortInUseError);
    expect((failure as Error).message).toContain(`port ${port}`);
    expect((failure as Error).message).toContain('kafka cannot start');
    expect(Date.now() - began).toBeLessThan(15_000);
    expect(fs.existsSync(path.join(home, 'run', 'kafka.pid'))).toBe(false);
  });
});
