import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT } from '@passerelle/infra';

export interface ServiceProcess {
  readonly service: string;
  readonly url: string;
  output(): string;
  /** SIGTERM, then waits for the exit (SIGKILL after 20 s): the SDK flushes its last spans on the way out. */
  stop(): Promise<void>;
}

/**
 * Starts `services/<service>/src/main.ts` the way `npm start` does (tsx, telemetry first) with only
 * the given environment, and waits until its /readyz answers 200.
 */
export async function startService(
  service: string,
  port: number,
  env: Record<string, string>,
  readyWithinMs = 90_000,
): Promise<ServiceProcess> {
  const child: ChildProcess = spawn(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
    [path.join(REPO_ROOT, 'services', service, 'src', 'main.ts')],
    {
      cwd: path.join(REPO_ROOT, 'services', service),
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', PORT: String(port), LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + readyWithinMs;
  while (Date.now() < deadline && child.exitCode === null) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { service, url, output: () => text, stop };
    await sleep(500);
  }
  await stop();
  throw new Error(`${service} did not become ready:\n${text.slice(-4_000)}`);
}
