import { spawnSync } from 'node:child_process';
import { PrerequisiteError } from './errors.ts';

/**
 * The dashboard's browser test drives a Chromium already on the machine (playwright-core never
 * downloads one: the machines reach package registries only). `npm test` finds it, or installs
 * Debian's package when it runs as root, before any test runs.
 */
export const CHROMIUM_PACKAGE = 'chromium';
const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'] as const;
const INSTALL_HINT =
  `install Debian's package as root: apt-get update && apt-get install -y ${CHROMIUM_PACKAGE} ` +
  '(or set PASSERELLE_CHROMIUM to the path of a Chromium or Chrome executable)';

/** The executable's `--version` line, or undefined when it does not run. */
function versionOf(command: string): string | undefined {
  const result = spawnSync(command, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout.trim().split('\n')[0];
}

function resolveOnPath(command: string): string | undefined {
  const result = spawnSync('/bin/sh', ['-c', 'command -v "$0"', command], { encoding: 'utf8' });
  const found = result.status === 0 ? result.stdout.trim() : '';
  return found ? found : undefined;
}

export interface ChromiumLocation {
  readonly executablePath: string;
  readonly version: string;
}

/**
 * The Chromium to use: `explicit` (PASSERELLE_CHROMIUM) when given, which must then run,
 * otherwise the first of the usual names on the PATH that runs. Undefined when there is none.
 */
export function locateChromium(explicit: string | undefined = process.env['PASSERELLE_CHROMIUM']): ChromiumLocation | undefined {
  if (explicit) {
    const version = versionOf(explicit);
    if (!version) throw new PrerequisiteError(`PASSERELLE_CHROMIUM=${explicit} does not run (${explicit} --version failed)`, INSTALL_HINT);
    return { executablePath: explicit, version };
  }
  for (const name of CANDIDATES) {
    const executablePath = resolveOnPath(name);
    const version = executablePath ? versionOf(executablePath) : undefined;
    if (executablePath && version) return { executablePath, version };
  }
  return undefined;
}

/** Like `locateChromium`, but a missing browser is an error that names the package and the command. */
export function requireChromium(): ChromiumLocation {
  const found = locateChromium();
  if (!found) throw new PrerequisiteError('the dashboard test needs Chromium, and none was found on the PATH', INSTALL_HINT);
  return found;
}

export interface EnsureChromiumOptions {
  readonly log: (message: string) => void;
  /** Whether this process may install system packages; by default, when it runs as root with apt-get. */
  readonly canInstall?: boolean;
}

function runsAsRootWithApt(): boolean {
  return process.getuid?.() === 0 && resolveOnPath('apt-get') !== undefined;
}

/**
 * Finds Chromium, or installs Debian's package when allowed; otherwise fails with the command a
 * person needs to run. Called by `npm test` before any test, so a missing browser never shows up as
 * a failed (or skipped) dashboard test half-way through the run.
 */
export function ensureChromium({ log, canInstall = runsAsRootWithApt() }: EnsureChromiumOptions): ChromiumLocation {
  const found = locateChromium();
  if (found) return found;
  if (!canInstall) {
    throw new PrerequisiteError(
      'the dashboard test needs Chromium, and none was found on the PATH; this user cannot install it',
      INSTALL_HINT,
    );
  }
  log(`Chromium not found: installing Debian's ${CHROMIUM_PACKAGE} package (apt-get, about 100 MB, once per machine)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', CHROMIUM_PACKAGE],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (result.status !== 0) {
      throw new PrerequisiteError(`apt-get ${args.join(' ')} failed (exit ${result.status ?? result.signal})`, INSTALL_HINT);
    }
  }
  const installed = locateChromium();
  if (!installed) throw new PrerequisiteError(`the ${CHROMIUM_PACKAGE} package installed, but no chromium runs`, INSTALL_HINT);
  log(`installed ${installed.version}`);
  return installed;
}
