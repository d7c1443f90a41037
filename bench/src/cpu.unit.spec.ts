import { describe, expect, it } from 'vitest';
import { cpuPerThousand, formatCpu, snapshotCpu } from './cpu.ts';

describe('CPU by part', () => {
  it('divides each part’s CPU between snapshots by the events, and leaves the unaccounted machine time as other', () => {
    const before = { parts: { relay: 1_000, projector: 2_000 }, machine: 10_000 };
    const after = { parts: { relay: 1_500, projector: 3_000 }, machine: 12_000 };

    const perThousand = cpuPerThousand(before, after, 10_000);

    expect(perThousand).toEqual({ relay: 50, projector: 100, other: 50 });
    expect(formatCpu(perThousand)).toBe('relay 50, projector 100, other 50');
  });

  it('never reports negative time when a part’s processes ended between snapshots', () => {
    expect(cpuPerThousand({ parts: { relay: 900 }, machine: 0 }, { parts: { relay: 100 }, machine: 0 }, 1_000)).toEqual({
      relay: 0,
      other: 0,
    });
  });

  it('reads this process’s own CPU time from /proc, growing with work', () => {
    const parts = { me: { roots: [process.pid] }, nobody: { command: /^no process has this command line$/ } };
    const before = snapshotCpu(parts);
    const until = Date.now() + 120;
    let spin = 0;
    while (Date.now() < until) spin++;

    const after = snapshotCpu(parts);

    expect(spin).toBeGreaterThan(0);
    expect((after.parts['me'] ?? 0) - (before.parts['me'] ?? 0)).toBeGreaterThan(0);
    expect(after.parts['nobody']).toBe(0);
    expect(after.machine).toBeGreaterThan(before.machine);
  });
});
