import { spawn } from 'node:child_process';

/**
 * V8 settings for a process that runs a rebuild. The in-memory replay keeps almost everything it
 * allocates (every row of the view), so each young-generation collection copies a lot; young
 * semi-spaces of 128 MiB make them rarer. Measured on the 1M-event bench set (2 cores, one run
 * each, machine shared): quiet, 35.1 s → 31.9 s and GC 6.8 s → 4.5 s; loaded, process CPU
 * 44 s → 35 s. 256 MiB gained nothing more and costs 200 MiB of RSS. The old generation needs
 * no raise: the folded view of 1M events peaks at about 1.6 GB RSS, under Node's default heap
 * limit on any machine with 8 GB.
 */
export const REBUILD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=128'];

const flagName = (flag: string) => flag.split('=')[0] as string;

/** NODE_OPTIONS with the rebuild's flags added (a flag already set there is left as the operator set it). */
export function rebuildNodeOptions(existing: string | undefined): string {
  const current = (existing ?? '').split(/\s+/).filter(Boolean);
  const missing = REBUILD_NODE_FLAGS.filter((flag) => !current.some((option) => flagName(option) === flagName(flag)));
  return [...current, ...missing].join(' ');
}

/** Whether this process was started with the rebuild's flags (on the command line or in NODE_OPTIONS). */
export function hasRebuildFlags(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS']): boolean {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].map(flagName);
  return REBUILD_NODE_FLAGS.every((flag) => given.includes(flagName(flag)));
}

/**
 * Runs this process's command again in a child with the rebuild's flags, standard streams passed
 * through and signals forwarded; resolves to the child's exit code. For the CLI's rebuild command:
 * `if (!hasRebuildFlags()) return rerunWithRebuildFlags();`.
 */
export function rerunWithRebuildFlags(): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: rebuildNodeOptions(process.env['NODE_OPTIONS']) },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, forward);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const name of ['SIGINT', 'SIGTERM'] as const) process.off(name, forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 143));
    });
  });
}
