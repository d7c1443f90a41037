/**
 * npm run bench [-- --quick] [--only part,…]: starts or reuses the local stack, measures the
 * machine's limits and then Passerelle against them, writes JSON and Markdown under
 * .passerelle/bench/<timestamp>/ and .passerelle/bench/latest.md, and stops only what it started.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BenchContext } from './context.ts';
import { runBench } from './bench.ts';
import { toMarkdown } from './report.ts';
import { parseArgs, USAGE } from './settings.ts';
import { stringifyNumbers } from './http-load.ts';

const began = Date.now();
const log = (message: string) => console.log(`[bench ${String(Math.round((Date.now() - began) / 1000)).padStart(4)} s] ${message}`);

if (process.argv.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
let settings;
try {
  settings = parseArgs(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}

const ctx = await BenchContext.open(log);
let stopping = false;
process.on('SIGINT', () => {
  if (stopping) return;
  stopping = true;
  log('interrupted: stopping the processes and topics of this run');
  void ctx.close().finally(() => process.exit(130));
});

try {
  const results = await runBench(ctx, settings);
  const dir = path.join(ctx.home, 'bench', ctx.runId);
  fs.mkdirSync(dir, { recursive: true });
  const markdown = toMarkdown(results);
  fs.writeFileSync(path.join(dir, 'results.json'), `${stringifyNumbers(results, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'results.md'), markdown);
  fs.writeFileSync(path.join(ctx.home, 'bench', 'latest.md'), markdown);
  console.log(`\n${markdown}`);
  log(
    `results in ${path.relative(process.cwd(), dir)}/results.{json,md} and ${path.relative(process.cwd(), path.join(ctx.home, 'bench', 'latest.md'))}`,
  );
  process.exitCode = Object.keys(results.failures).length ? 1 : 0;
} finally {
  await ctx.close();
}
// Clients of the parts that failed may still hold sockets or timers; the run is over.
process.exit(process.exitCode ?? 0);
