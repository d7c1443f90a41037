import { describe, expect, it } from 'vitest';
import { cacheRelativeResolution, type ModuleResolver } from './resolution-cache.ts';

function resolverCountingCalls(): { target: ModuleResolver; calls: string[] } {
  const calls: string[] = [];
  const target: ModuleResolver = {
    _resolveFilename(request, parent) {
      calls.push(request);
      if (request.includes('missing')) throw new Error(`Cannot find module '${request}'`);
      return `${String(parent?.filename)}→${request}`;
    },
  };
  return { target, calls };
}

describe('cacheRelativeResolution', () => {
  it('resolves a relative request from one file once, and from another file again', () => {
    const { target, calls } = resolverCountingCalls();
    cacheRelativeResolution(target);

    const first = target._resolveFilename('./v5/request', { filename: '/m/offsetCommit/index.js' });
    const second = target._resolveFilename('./v5/request', { filename: '/m/offsetCommit/index.js' });
    const elsewhere = target._resolveFilename('./v5/request', { filename: '/m/fetch/index.js' });

    expect(second).toBe(first);
    expect(elsewhere).toBe('/m/fetch/index.js→./v5/request');
    expect(calls).toEqual(['./v5/request', './v5/request']);
  });

  it('resolves bare specifiers, calls with options, the main module and failures every time', () => {
    const { target, calls } = resolverCountingCalls();
    cacheRelativeResolution(target);
    const parent = { filename: '/m/index.js' };

    for (let i = 0; i < 2; i++) {
      target._resolveFilename('pg', parent);
      target._resolveFilename('../x', parent, false, { paths: ['/other'] });
      target._resolveFilename('./main', parent, true);
      expect(() => target._resolveFilename('./missing', parent)).toThrow(/Cannot find module/);
    }

    expect(calls).toEqual(['pg', '../x', './main', './missing', 'pg', '../x', './main', './missing']);
  });

  it('wraps a resolver once however often it is installed', () => {
    const { target, calls } = resolverCountingCalls();
    cacheRelativeResolution(target);
    const wrapped = target._resolveFilename;
    cacheRelativeResolution(target);

    target._resolveFilename('./a', { filename: '/m/index.js' });
    target._resolveFilename('./a', { filename: '/m/index.js' });

    expect(target._resolveFilename).toBe(wrapped);
    expect(calls).toEqual(['./a']);
  });
});
