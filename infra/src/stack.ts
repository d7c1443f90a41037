import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolveArtifacts } from './artifacts.ts';
import { endpointsOf, type StackConfig, type StackEndpoints } from './config.ts';
import { NotReadyError, PortInUseError } from './errors.ts';
import { PARTS, type Part, type PartName } from './parts.ts';
import { databaseName, ensureDatabase } from '@passerelle/pg-admin';
import { checkPrerequisites } from './prerequisites.ts';
import { isAlive, portIsFree, portOwner, removePid, startDetached, stateOf, stopProcess, tailFile, type PartState } from './processes.ts';

export type Log = (message: string) => void;

export function runDir(config: StackConfig): string {
  return path.join(config.home, 'run');
}

export function logFileOf(config: StackConfig, part: PartName): string {
  return path.join(config.logsDir, `${part}.log`);
}

export interface UpResult {
  /** Parts this call started; the caller that started them is the one to stop them. */
  readonly started: readonly PartName[];
  readonly alreadyRunning: readonly PartName[];
  readonly endpoints: StackEndpoints;
  readonly millis: number;
}

/**
 * Brings every part up and waits until each one answers. Harmless when the stack is up
 * already; fails in seconds, naming the port, when something else holds one of its ports.
 */
export async function up(config: StackConfig, log: Log, only: readonly PartName[] = PARTS.map((p) => p.name)): Promise<UpResult> {
  const began = Date.now();
  const prerequisites = await checkPrerequisites(config);
  log(`prerequisites: node ${prerequisites.node}, ${prerequisites.java}, PostgreSQL ${prerequisites.postgres}`);

  const parts = PARTS.filter((part) => only.includes(part.name));
  const started: PartName[] = [];
  const alreadyRunning: PartName[] = [];
  const toStart: Part[] = [];

  for (const part of parts) {
    const state = stateOf(runDir(config), part.name);
    if (state.kind === 'running' && part.needsSetup?.(config)) {
      log(
        `${part.name}: running (pid ${state.pid}) without set-up this version needs (SCRAM users of a data folder from before SASL, or TLS): restarting it`,
      );
      await stopProcess(state.pid, 30_000);
      removePid(runDir(config), part.name);
    } else if (state.kind === 'running') {
      log(`${part.name}: already running (pid ${state.pid})`);
      alreadyRunning.push(part.name);
      continue;
    }
    if (state.kind === 'stale') {
      log(`${part.name}: removing stale pid file (pid ${state.pid} is not a ${part.name} of this stack)`);
      removePid(runDir(config), part.name);
    }
    for (const port of part.ports(config)) {
      if (!(await portIsFree(config.host, port))) throw new PortInUseError(part.name, port, portOwner(port));
    }
    toStart.push(part);
  }

  if (await ensureDatabase(config.databaseUrl, databaseName(config.databaseUrl))) {
    log(`postgres: created database ${databaseName(config.databaseUrl)}`);
  }
  if (toStart.length === 0) {
    await waitReady(config, parts, log);
    return { started, alreadyRunning, endpoints: endpointsOf(config), millis: Date.now() - began };
  }

  const artifacts = resolveArtifacts(config.home, log);
  const launch = async (part: Part): Promise<void> => {
    await part.prepare(config, artifacts, prerequisites.runtimes, log);
    const how = part.launch(config, artifacts, prerequisites.runtimes);
    const pid = startDetached({ part: part.name, ...how, logFile: logFileOf(config, part.name), runDir: runDir(config) });
    log(`${part.name}: started ${part.title} (pid ${pid}), log in ${path.relative(process.cwd(), logFileOf(config, part.name))}`);
  };
  for (const part of toStart) {
    await launch(part);
    started.push(part.name);
  }
  await Promise.all(
    toStart.map(async (part) => {
      if (!(await part.afterLaunch?.(config, artifacts, prerequisites.runtimes, log))) return;
      const state = stateOf(runDir(config), part.name);
      if (state.kind === 'running') await stopProcess(state.pid, 30_000);
      removePid(runDir(config), part.name);
      await launch(part);
    }),
  );
  await waitReady(config, parts, log);
  return { started, alreadyRunning, endpoints: endpointsOf(config), millis: Date.now() - began };
}

async function waitReady(config: StackConfig, parts: readonly Part[], log: Log): Promise<void> {
  await Promise.all(parts.map((part) => waitPartReady(config, part, log)));
}

async function waitPartReady(config: StackConfig, part: Part, log: Log): Promise<void> {
  const began = Date.now();
  const deadline = began + config.readyTimeoutMs;
  let lastNotice = began;
  for (;;) {
    const state = stateOf(runDir(config), part.name);
    if (state.kind !== 'running') {
      removePid(runDir(config), part.name);
      throw new NotReadyError(part.name, 'the process exited during start', tailFile(logFileOf(config, part.name), 30));
    }
    if (await part.probe(config)) {
      log(`${part.name}: ready in ${((Date.now() - began) / 1000).toFixed(1)} s at ${part.url(config)}`);
      return;
    }
    if (Date.now() > deadline) {
      await stopProcess(state.pid, 10_000);
      removePid(runDir(config), part.name);
      throw new NotReadyError(
        part.name,
        `no answer within ${config.readyTimeoutMs / 1000} s (PASSERELLE_READY_TIMEOUT_S); it was stopped`,
        tailFile(logFileOf(config, part.name), 30),
      );
    }
    if (Date.now() - lastNotice > 15_000) {
      lastNotice = Date.now();
      log(`${part.name}: still starting (${Math.round((Date.now() - began) / 1000)} s)…`);
    }
    await sleep(500);
  }
}

/** Stops the named parts (all by default): SIGTERM, then SIGKILL after the grace period. */
export async function down(config: StackConfig, log: Log, only: readonly PartName[] = PARTS.map((p) => p.name)): Promise<void> {
  const parts = PARTS.filter((part) => only.includes(part.name));
  // Reverse order: clients of Kafka and the registry stop before them.
  await Promise.all(
    [...parts].reverse().map(async (part) => {
      const state = stateOf(runDir(config), part.name);
      if (state.kind === 'stale') {
        log(`${part.name}: removing stale pid file (pid ${state.pid})`);
        removePid(runDir(config), part.name);
        return;
      }
      if (state.kind !== 'running') {
        log(`${part.name}: not running`);
        return;
      }
      const how = await stopProcess(state.pid, 30_000);
      removePid(runDir(config), part.name);
      log(`${part.name}: stopped (pid ${state.pid}, ${how})`);
    }),
  );
}

export interface PartStatus {
  readonly name: PartName;
  readonly state: PartState['kind'];
  readonly pid: number | undefined;
  readonly ports: readonly number[];
  readonly ready: boolean;
  readonly url: string;
}

export async function status(config: StackConfig): Promise<PartStatus[]> {
  return Promise.all(
    PARTS.map(async (part) => {
      const state = stateOf(runDir(config), part.name);
      const pid = state.kind === 'stopped' ? undefined : state.pid;
      return {
        name: part.name,
        state: state.kind,
        pid,
        ports: part.ports(config),
        ready: state.kind === 'running' && isAlive(state.pid) && (await part.probe(config)),
        url: part.url(config),
      };
    }),
  );
}
