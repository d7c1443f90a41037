import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureChromium, locateChromium } from './browser.ts';
import { PrerequisiteError } from './errors.ts';

let dir: string;
const saved = { path: process.env['PATH'], chromium: process.env['PASSERELLE_CHROMIUM'] };

function fakeBrowser(name: string, exitCode = 0): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\necho "Chromium 156.0.0.0 built on Debian"\nexit ${exitCode}\n`, { mode: 0o755 });
  return file;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'browser-spec-'));
  process.env['PATH'] = dir;
  delete process.env['PASSERELLE_CHROMIUM'];
});
afterEach(() => {
  process.env['PATH'] = saved.path;
  if (saved.chromium === undefined) delete process.env['PASSERELLE_CHROMIUM'];
  else process.env['PASSERELLE_CHROMIUM'] = saved.chromium;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('locating Chromium for the dashboard test', () => {
  it('finds a chromium on the PATH and reports its version', () => {
    const file = fakeBrowser('chromium-browser');
    expect(locateChromium()).toEqual({ executablePath: file, version: 'Chromium 156.0.0.0 built on Debian' });
  });

  it('skips a candidate that does not run and finds none', () => {
    fakeBrowser('chromium', 1);
    expect(locateChromium()).toBeUndefined();
  });

  it('refuses a PASSERELLE_CHROMIUM that does not run, naming the variable', () => {
    expect(() => locateChromium(path.join(dir, 'missing'))).toThrow(/PASSERELLE_CHROMIUM=.*missing does not run/);
  });

  it('without a browser and without the right to install, fails before any test with the package and the command', () => {
    const log: string[] = [];
    let error: unknown;
    try {
      ensureChromium({ log: (m) => log.push(m), canInstall: false });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PrerequisiteError);
    expect((error as PrerequisiteError).hint).toContain('apt-get update && apt-get install -y chromium');
    expect(log).toEqual([]);
  });

  it('uses the browser it finds without installing anything', () => {
    const file = fakeBrowser('chromium');
    const log: string[] = [];
    expect(ensureChromium({ log: (m) => log.push(m), canInstall: true }).executablePath).toBe(file);
    expect(log).toEqual([]);
  });
});
