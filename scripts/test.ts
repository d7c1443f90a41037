/**
 * `npm test`: static checks, then the unit, integration and end-to-end tiers against the real
 * stack, then the fault suite (on a private stack of its own, since it stops Kafka and the
 * registry). Starts the parts of the stack that are not running and stops only those at the end.
 * Closes with the fault table and one summary line, "tests: N passed, N failed".
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, down, ensureChromium, loadStackConfig, provision, testStackParts, up, type PartName } from '@passerelle/infra';
import { printFaultTable } from '../tests/faults/fault-table.ts';

const log = (message: string): void => console.log(`[passerelle test] ${message}`);
const bin = (name: string): string => path.join(REPO_ROOT, 'node_modules', '.bin', name);

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: 'inherit', env });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

interface TierResult {
  readonly tier: string;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly exitCode: number;
  /** "file > test: first line of the failure", so the last lines of a long run say what failed. */
  readonly failures: readonly string[];
}

interface VitestJsonReport {
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  testResults?: readonly {
    name: string;
    message?: string;
    assertionResults?: readonly { fullName: string; status: string; failureMessages?: readonly string[] }[];
  }[];
}

function failuresOf(report: VitestJsonReport): string[] {
  const firstLine = (text: string | undefined): string =>
    (text ?? '')
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim()
      .slice(0, 240) ?? '';
  const failures: string[] = [];
  for (const file of report.testResults ?? []) {
    const where = path.relative(REPO_ROOT, file.name);
    const failed = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
    for (const test of failed) failures.push(`${where} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
    // A file that fails before any test runs (an import error, a failing beforeAll) has no failed test of its own.
    if (failed.length === 0 && file.message) failures.push(`${where}: ${firstLine(file.message)}`);
  }
  return failures;
}

async function runTier(tier: string): Promise<TierResult> {
  const report = path.join(REPO_ROOT, '.passerelle', 'test-results', `${tier}.json`);
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.rmSync(report, { force: true });
  log(`tier ${tier}…`);
  // The fault table is printed once, at the very end of the run, rather than by the faults tier's teardown.
  const env = tier === 'faults' ? { ...process.env, PASSERELLE_FAULT_TABLE: 'off' } : process.env;
  const exitCode = await run(
    bin('vitest'),
    ['run', '--project', tier, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
    env,
  );
  const parsed: VitestJsonReport = fs.existsSync(report) ? (JSON.parse(fs.readFileSync(report, 'utf8')) as VitestJsonReport) : {};
  const numFailed = parsed.numFailedTests ?? 0;
  return {
    tier,
    passed: parsed.numPassedTests ?? 0,
    failed: numFailed + (exitCode !== 0 && numFailed === 0 ? 1 : 0),
    skipped: (parsed.numPendingTests ?? 0) + (parsed.numTodoTests ?? 0),
    exitCode,
    failures: failuresOf(parsed),
  };
}

async function main(): Promise<number> {
  const tiers = (process.env['PASSERELLE_TEST_TIERS'] ?? 'unit,int,e2e,faults')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

  log('typecheck…');
  if ((await run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'])) !== 0) return fail('typecheck failed');
  log('lint…');
  if ((await run(bin('eslint'), ['.'])) !== 0) return fail('lint failed');
  log('format…');
  if ((await run(bin('prettier'), ['--check', '--log-level', 'warn', '.'])) !== 0) return fail('format check failed: run npm run format');

  if (tiers.includes('e2e')) {
    // The dashboard test drives a real browser: found (or installed) now, never skipped later.
    const chromium = ensureChromium({ log });
    process.env['PASSERELLE_CHROMIUM'] = chromium.executablePath;
    log(`browser for the dashboard test: ${chromium.version} (${chromium.executablePath})`);
  }

  const config = loadStackConfig();
  let started: readonly PartName[] = [];
  const results: TierResult[] = [];
  try {
    if (
      tiers.some((tier) => tier !== 'unit') &&
      process.env['PASSERELLE_TEST_INFRA'] !== 'containers' &&
      !process.env['PASSERELLE_KAFKA_BROKERS']
    ) {
      const result = await up(config, log, testStackParts());
      started = result.started;
      log(
        `stack ready in ${(result.millis / 1000).toFixed(1)} s${started.length ? ` (started ${started.join(', ')})` : ' (already running)'}`,
      );
      await provision(config, log);
    }
    for (const tier of tiers) results.push(await runTier(tier));
  } finally {
    if (started.length > 0) {
      log(`stopping what this run started: ${started.join(', ')}`);
      await down(config, log, started);
    }
  }

  if (tiers.includes('faults')) printFaultTable(console.log);
  for (const r of results) {
    log(`${r.tier.padEnd(6)} ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`);
    for (const failure of r.failures) log(`  failed: ${failure}`);
  }
  const passed = results.reduce((sum, r) => sum + r.passed, 0);
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  const skipped = results.reduce((sum, r) => sum + r.skipped, 0);
  console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed > 0 || results.some((r) => r.exitCode !== 0) ? 1 : 0;
}

function fail(message: string): number {
  log(message);
  console.log('tests: 0 passed, 1 failed');
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[passerelle test] ${(error as Error).message}`);
    const hint = (error as { hint?: string }).hint;
    if (hint) console.error(hint);
    console.log('tests: 0 passed, 1 failed');
    process.exit(1);
  },
);
