import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Every server the stack starts carries `-Dpasserelle.part=<part>` on its command line, so a
 * pid file is trusted only when that pid still runs our process: a recycled pid or a stale
 * file after a reboot is detected, never killed.
 */
export function partMarker(part: string): string {
  return `-Dpasserelle.part=${part}`;
}

export interface PidRecord {
  readonly pid: number;
  readonly startedAt: string;
}

export function pidFile(runDir: string, part: string): string {
  return path.join(runDir, `${part}.pid`);
}

export function readPid(runDir: string, part: string): PidRecord | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(pidFile(runDir, part), 'utf8')) as Partial<PidRecord>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, startedAt: String(parsed.startedAt) } : undefined;
  } catch {
    return undefined;
  }
}

export function commandLineOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/**
 * The environment variable that marks a part that is no JVM (Prometheus): its command line
 * cannot take a `-D` marker, so `infra` recognises it by its environment instead.
 */
export const PART_ENVIRONMENT_MARKER = 'PASSERELLE_PART';

function environmentOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and is this stack's server for `part` (marked on its command line or in its environment). */
export function isOurProcess(pid: number, part: string): boolean {
  const cmdline = commandLineOf(pid);
  if (cmdline === undefined) return false;
  if (cmdline.includes(partMarker(part))) return true;
  return (environmentOf(pid) ?? '').split('\0').includes(`${PART_ENVIRONMENT_MARKER}=${part}`);
}

export type PartState =
  | { readonly kind: 'running'; readonly pid: number; readonly startedAt: string }
  | { readonly kind: 'stale'; readonly pid: number }
  | { readonly kind: 'stopped' };

export function stateOf(runDir: string, part: string): PartState {
  const record = readPid(runDir, part);
  if (!record) return { kind: 'stopped' };
  if (isOurProcess(record.pid, part)) return { kind: 'running', pid: record.pid, startedAt: record.startedAt };
  return { kind: 'stale', pid: record.pid };
}

export function removePid(runDir: string, part: string): void {
  fs.rmSync(pidFile(runDir, part), { force: true });
}

export interface StartOptions {
  readonly part: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logFile: string;
  readonly runDir: string;
}

/** Starts a server detached from this process, output appended to its log file. */
export function startDetached(options: StartOptions): number {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  fs.mkdirSync(options.runDir, { recursive: true });
  rotateLog(options.logFile);
  const out = fs.openSync(options.logFile, 'a');
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${options.part}: ${options.command} did not spawn`);
  child.unref();
  const record: PidRecord = { pid: child.pid, startedAt: new Date().toISOString() };
  fs.writeFileSync(pidFile(options.runDir, options.part), JSON.stringify(record));
  return child.pid;
}

/** Keeps the previous run's log as `<file>.1`, so a failed start can be compared with the last good one. */
function rotateLog(logFile: string): void {
  if (fs.existsSync(logFile)) fs.renameSync(logFile, `${logFile}.1`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(pid: number, graceMs: number): Promise<'terminated' | 'killed' | 'gone'> {
  if (!isAlive(pid)) return 'gone';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid) || isZombie(pid)) return 'terminated';
    await sleep(200);
  }
  process.kill(pid, 'SIGKILL');
  while (isAlive(pid) && !isZombie(pid)) await sleep(100);
  return 'killed';
}

function isZombie(pid: number): boolean {
  try {
    return /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Resolves true when nothing listens on host:port (we can bind it ourselves). */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Best effort: which process holds a TCP port, for the error message. */
export function portOwner(port: number): string | undefined {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(out);
    return match ? `${match[1]} (pid ${match[2]})` : undefined;
  } catch {
    return undefined;
  }
}

export function tailFile(file: string, lines: number): string {
  try {
    const content = fs.readFileSync(file, 'utf8');
    return (
      content
        .split('\n')
        .slice(-lines - 1)
        .join('\n')
        .trimEnd() || '(log is empty)'
    );
  } catch {
    return `(no log at ${file})`;
  }
}
