import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '@passerelle/infra';

/**
 * The workspace's packages depend on each other one way: services → libs → schemas, with
 * `infra`, `tests` and `bench` above them all. Dev dependencies count: a lib whose specs need
 * `infra` makes the same knot as one whose code does.
 */
interface WorkspacePackage {
  readonly name: string;
  readonly dir: string;
  readonly dependsOn: readonly string[];
}

function workspacePackages(): WorkspacePackage[] {
  const globs = (parse(fs.readFileSync(path.join(REPO_ROOT, 'pnpm-workspace.yaml'), 'utf8')) as { packages: string[] }).packages;
  const dirs = globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [glob];
    const parent = glob.slice(0, -2);
    return fs
      .readdirSync(path.join(REPO_ROOT, parent), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${parent}/${e.name}`);
  });
  return dirs
    .filter((dir) => fs.existsSync(path.join(REPO_ROOT, dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, dir, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      const dependsOn = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((d) => d.startsWith('@passerelle/'));
      return { name: manifest.name, dir, dependsOn };
    });
}

/** One cycle as "a → b → a", or undefined when the graph has none. */
function findCycle(packages: readonly WorkspacePackage[]): string | undefined {
  const edges = new Map(packages.map((p) => [p.name, p.dependsOn]));
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (name: string): string | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'open') return [...trail.slice(trail.indexOf(name)), name].join(' → ');
    state.set(name, 'open');
    trail.push(name);
    for (const next of edges.get(name) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const p of packages) {
    const cycle = visit(p.name);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('the workspace package graph', () => {
  const packages = workspacePackages();

  it('reads every workspace package', () => {
    expect(packages.map((p) => p.name)).toEqual(
      expect.arrayContaining(['@passerelle/testing', '@passerelle/infra', '@passerelle/contracts', '@passerelle/projector']),
    );
  });

  it('has no cycle, dev dependencies included', () => {
    expect(findCycle(packages)).toBeUndefined();
  });

  it('finds a cycle when there is one', () => {
    const knotted = [
      { name: 'a', dir: 'a', dependsOn: ['b'] },
      { name: 'b', dir: 'b', dependsOn: ['c'] },
      { name: 'c', dir: 'c', dependsOn: ['a'] },
    ];
    expect(findCycle(knotted)).toBe('a → b → c → a');
  });

  it('keeps libs and schemas below infra, the tests, the bench and every service', () => {
    const above = new Set(packages.filter((p) => !p.dir.startsWith('libs/') && p.dir !== 'schemas').map((p) => p.name));
    const wrong = packages
      .filter((p) => p.dir.startsWith('libs/') || p.dir === 'schemas')
      .flatMap((p) => p.dependsOn.filter((d) => above.has(d)).map((d) => `${p.dir} depends on ${d}`));
    expect(wrong).toEqual([]);
  });
});
