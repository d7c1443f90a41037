import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '@passerelle/infra';

/** A service's main.ts running as its own process, with everything it printed. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  output(): string;
  /** The exit code, or null when a signal ended it. */
  readonly exited: Promise<number | null>;
}

/**
 * Runs `services/<service>/src/main.ts` as production would: its own process, only the given
 * environment (plus PATH and HOME; tracing off unless the environment says otherwise).
 */
export function runServiceMain(service: string, env: Record<string, string>): ServiceProcess {
  // Node itself with tsx's loader, not the tsx CLI: the CLI relays SIGTERM and SIGKILLs the child
  // when it does not acknowledge within 30 ms, which a busy machine (or a SASL handshake in
  // flight) easily exceeds; the service must receive the SIGTERM itself.
  const loader = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', loader, path.join(REPO_ROOT, 'services', service, 'src', 'main.ts')], {
    cwd: path.join(REPO_ROOT, 'services', service),
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', OTEL_TRACES_EXPORTER: 'none', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}
