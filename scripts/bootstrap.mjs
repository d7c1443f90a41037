// Runs before any dependency exists: checks Node, installs the workspace with the pinned
// pnpm, then hands over to a TypeScript entry point. Plain Node on purpose.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PNPM = 'pnpm@12.4.2';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  console.error(`[passerelle] ${message}`);
  process.exit(1);
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) fail(`Node.js 20 or newer is required, found ${process.versions.node}: install Node.js 20 LTS`);

function install() {
  const lock = path.join(root, 'pnpm-lock.yaml');
  const state = path.join(root, 'node_modules', '.modules.yaml');
  const upToDate = fs.existsSync(state) && fs.statSync(state).mtimeMs >= fs.statSync(lock).mtimeMs;
  if (upToDate) return;
  console.log(`[passerelle] installing dependencies with ${PNPM} (frozen lockfile)…`);
  const result = spawnSync('npx', ['-y', PNPM, 'install', '--frozen-lockfile'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) fail(`dependency install failed (exit ${result.status}); rerun: npx -y ${PNPM} install`);
  fs.utimesSync(state, new Date(), new Date());
}

install();
const [entry, ...args] = process.argv.slice(2);
if (!entry) fail('usage: node scripts/bootstrap.mjs <entry.ts> [args…]');

// Node itself with tsx's loader, not tsx's CLI: the CLI relays a signal to its child and, when the
// child does not acknowledge it within 30 ms (a loaded machine), SIGKILLs it, so the child's own
// shutdown (stopping the stack it started) never runs.
const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, entry), ...args], { cwd: root, stdio: 'inherit' });
// The child owns shutdown: it receives the terminal's SIGINT itself, and signals sent to this
// process only (npm forwards them here) are passed on; this process waits for it to finish.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (child.exitCode === null) child.kill(signal);
  });
}
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : 1));
});
