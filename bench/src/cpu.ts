import fs from 'node:fs';

/**
 * CPU time by part of the pipeline, read from /proc (Linux): what each component costs per
 * event, which on a shared 2-core machine says more about where time goes than rates do.
 */

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux x86_64 kernel (getconf CLK_TCK)

interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly cpuMs: number;
  readonly command: string;
}

function readProcesses(): Map<number, ProcessEntry> {
  const table = new Map<number, ProcessEntry>();
  let names: string[];
  try {
    names = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return table;
  }
  for (const name of names) {
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields follow the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime + stime, and cutime + cstime: the time of children it has reaped (PostgreSQL backends
      // that closed during the run count with the postmaster, not nowhere).
      const cpuTicks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      const command = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      table.set(Number(name), { pid: Number(name), ppid: Number(fields[1]), cpuMs: (cpuTicks * 1000) / TICKS_PER_SECOND, command });
    } catch {
      // The process ended while being read.
    }
  }
  return table;
}

/** Busy (non-idle) CPU time of the whole machine, all cores, in ms. */
function machineBusyMs(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** What makes up each part: the process trees of some children, or processes whose command line matches. */
export type PartSelector = { readonly roots: readonly number[] } | { readonly command: RegExp };

export type CpuSnapshot = { readonly parts: Record<string, number>; readonly machine: number };

function descendantsOf(table: Map<number, ProcessEntry>, roots: readonly number[]): Set<number> {
  const found = new Set(roots.filter((pid) => table.has(pid)));
  let grew = true;
  while (grew) {
    grew = false;
    for (const entry of table.values()) {
      if (!found.has(entry.pid) && found.has(entry.ppid)) {
        found.add(entry.pid);
        grew = true;
      }
    }
  }
  return found;
}

export function snapshotCpu(selectors: Record<string, PartSelector>): CpuSnapshot {
  const table = readProcesses();
  const parts: Record<string, number> = {};
  for (const [part, selector] of Object.entries(selectors)) {
    const pids =
      'roots' in selector
        ? descendantsOf(table, selector.roots)
        : new Set([...table.values()].filter((e) => selector.command.test(e.command)).map((e) => e.pid));
    parts[part] = [...pids].reduce((sum, pid) => sum + (table.get(pid)?.cpuMs ?? 0), 0);
  }
  return { parts, machine: machineBusyMs() };
}

/**
 * CPU ms per 1,000 events of each part between two snapshots, plus `other`: the machine's busy
 * time no listed part accounts for (the bench itself, anything else running). A process that
 * ended between the snapshots is not counted: take the second before stopping anything.
 */
export function cpuPerThousand(before: CpuSnapshot, after: CpuSnapshot, events: number): Record<string, number> {
  const result: Record<string, number> = {};
  let listed = 0;
  for (const part of Object.keys(after.parts)) {
    const used = Math.max(0, (after.parts[part] ?? 0) - (before.parts[part] ?? 0));
    listed += used;
    result[part] = (used * 1000) / events;
  }
  result['other'] = (Math.max(0, after.machine - before.machine - listed) * 1000) / events;
  return result;
}

/** `relay 41, projector 63, …` in ms of CPU per 1,000 events. */
export function formatCpu(perThousand: Record<string, number>): string {
  return Object.entries(perThousand)
    .map(([part, ms]) => `${part} ${Math.round(ms)}`)
    .join(', ');
}
