/**
 * `npm start`: brings the local stack up, provisions topics and schemas, runs every service
 * under services/ in the foreground with prefixed output, and prints the URLs. Ctrl-C (or
 * SIGTERM) stops the services, then the parts of the stack this command started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, down, loadStackConfig, provision, status, up, type PartName } from '@passerelle/infra';


const log = (message: string): void => console.log(`[passerelle] ${message}`);

interface RunningService {
  readonly name: string;
  readonly child: ChildProcess;
}

function discoverServices(): string[] {
  const dir = path.join(REPO_ROOT, 'services');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => fs.existsSync(path.join(dir, name, 'src', 'main.ts')))
    .sort();
}

function startService(name: string, env: NodeJS.ProcessEnv): RunningService {
  const entry = path.join(REPO_ROOT, 'services', name, 'src', 'main.ts');
  const child = spawn(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [entry], {
    cwd: path.join(REPO_ROOT, 'services', name),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = `[${name}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) console.log(prefix + line);
    });
  }
  return { name, child };
}

async function stopService(service: RunningService): Promise<void> {
  if (service.child.exitCode !== null || service.child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => service.child.once('exit', () => resolve()));
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  const config = loadStackConfig();
  let started: readonly PartName[] = [];
  const services: RunningService[] = [];
  let stopping = false;

  const shutdown = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping ${services.length} service(s) and ${started.length ? started.join(', ') : 'no part of the stack'}…`);
    await Promise.all(services.map(stopService));
    if (started.length > 0) await down(config, log, started);
    log('stopped');
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));

  const result = await up(config, log);
  started = result.started;
  await provision(config, log);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PASSERELLE_KAFKA_BROKERS: result.endpoints.kafkaBrokers.join(','),
    PASSERELLE_REGISTRY_URL: result.endpoints.registryUrl,
    PASSERELLE_ZIPKIN_URL: result.endpoints.zipkinUrl,
    DATABASE_URL: result.endpoints.databaseUrl,
    OTEL_TRACES_EXPORTER: process.env['OTEL_TRACES_EXPORTER'] ?? 'zipkin',
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: process.env['OTEL_EXPORTER_ZIPKIN_ENDPOINT'] ?? `${result.endpoints.zipkinUrl}/api/v2/spans`,
  };
  // PASSERELLE_START_SERVICES: "all" (default), "none", or a comma-separated list of service folders.
  const wanted = (process.env['PASSERELLE_START_SERVICES'] ?? 'all').trim();
  const chosen = discoverServices().filter((name) => wanted === 'all' || (wanted !== 'none' && wanted.split(',').map((s) => s.trim()).includes(name)));
  for (const name of chosen) {
    const service = startService(name, env);
    services.push(service);
    service.child.on('exit', (code, signal) => {
      if (!stopping) {
        log(`${name} exited (${signal ?? `code ${code}`}); stopping everything`);
        void shutdown(`${name} exited`);
      }
    });
  }

  log('the stack is up:');
  for (const part of await status(config)) log(`  ${part.name.padEnd(9)} ${part.url}`);
  log(`  postgres  ${result.endpoints.databaseUrl.replace(/:[^:@/]*@/, ':***@')}`);
  log(services.length > 0 ? `services: ${services.map((s) => s.name).join(', ')}` : 'no services under services/ yet');
  log('press Ctrl-C to stop');
  // Keep the event loop alive until a signal arrives.
  setInterval(() => undefined, 1 << 30);
}

main().catch(async (error: unknown) => {
  console.error(`[passerelle] start failed: ${(error as Error).message}`);
  const hint = (error as { hint?: string }).hint;
  if (hint) console.error(`[passerelle] how to fix:\n${hint}`);
  process.exit(1);
});
