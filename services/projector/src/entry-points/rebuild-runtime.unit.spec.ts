import { describe, expect, it } from 'vitest';
import { REBUILD_NODE_FLAGS, hasRebuildFlags, rebuildNodeOptions } from './rebuild-runtime.ts';

describe('the rebuild process flags', () => {
  it('adds the rebuild flags to NODE_OPTIONS and keeps what the operator set', () => {
    expect(rebuildNodeOptions(undefined)).toBe(REBUILD_NODE_FLAGS.join(' '));
    expect(rebuildNodeOptions('--enable-source-maps')).toBe(['--enable-source-maps', ...REBUILD_NODE_FLAGS].join(' '));
    expect(rebuildNodeOptions('--max-semi-space-size=64')).toBe('--max-semi-space-size=64 --max-old-space-size=768');
    expect(rebuildNodeOptions('--max-old-space-size=4096 --max-semi-space-size=64')).toBe(
      '--max-old-space-size=4096 --max-semi-space-size=64',
    );
  });

  it('tells whether a process already runs with them, from its arguments or NODE_OPTIONS', () => {
    expect(hasRebuildFlags([], undefined)).toBe(false);
    expect(hasRebuildFlags(['--import', 'tsx'], '--enable-source-maps')).toBe(false);
    expect(hasRebuildFlags(['--max-semi-space-size=128'], undefined)).toBe(false);
    expect(hasRebuildFlags(['--max-semi-space-size=128', '--max-old-space-size=768'], undefined)).toBe(true);
    expect(hasRebuildFlags(['--max-old-space-size=2048'], '--max-semi-space-size=256')).toBe(true);
  });
});
