import { spawn } from 'node:child_process';

/**
 * V8 settings for a process that runs a rebuild. The rebuild streams: it stages what it reads and
 * folds a window at a time, so almost everything it allocates dies young, and a young-generation
 * collection costs what survives, not the space's size: 32 MiB semi-spaces (16 by default) halve
 * the collections. What it keeps is two fold windows (about 200 MB); an old generation capped at
 * 768 MiB makes V8 collect the garbage promoted between windows early instead of letting the heap
 * drift up, so the peak stays flat: on the spread bench sets, with the machine loaded, 542 MiB for
 * 200,000 events and 570 MiB for 600,000 (without the cap, 692 and 897 MiB). An operator's own
 * `--max-old-space-size` in NODE_OPTIONS wins.
 */
export const REBUILD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32', '--max-old-space-size=768'];

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
