/**
 * `npm run demo -- year [--referrals N] [--seed S] [--year YYYY] [--concurrency C] [--verify]`:
 * sends a synthetic year through the adapters of a running `npm start` stack (their URLs from
 * the party registry, their tokens from .passerelle/secrets.json) and, with --verify, reconciles
 * it with the coordination view and the view API's published figures. Exit code 1 on a mismatch.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { adapterNameOf, PARTIES } from '@passerelle/contracts';
import { createDatabase } from '@passerelle/db';
import { REPO_ROOT, loadStackConfig } from '@passerelle/infra';
import { loadDevSecrets } from '../dev-secrets.ts';
import { servicePorts } from '../services.ts';
import { generateYear } from './synthetic-year.ts';
import { sendYear } from './year-sender.ts';
import { verifyYear } from './year-verify.ts';

const USAGE = 'usage: npm run demo -- year [--referrals 3000] [--seed 2026] [--year YYYY] [--concurrency 6] [--verify]';
const log = (message: string): void => console.log(`[demo] ${message}`);

function wholeNumber(name: string, text: string | undefined, fallback: number | undefined): number | undefined {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`);
  return value;
}

/** A coordination-office token from the view API's own development command, signed with the stack's secret. */
function coordinationOfficeToken(jwtSecret: string): string {
  const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  const cli = path.join(REPO_ROOT, 'services', 'view-api', 'src', 'entry-points', 'cli.ts');
  return execFileSync(tsx, [cli, 'token', 'coordination-office'], {
    env: { ...process.env, PASSERELLE_JWT_SECRET: jwtSecret },
    stdio: ['ignore', 'pipe', 'ignore'],
  })
    .toString('utf8')
    .trim();
}

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      referrals: { type: 'string' },
      seed: { type: 'string' },
      year: { type: 'string' },
      concurrency: { type: 'string' },
      verify: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || positionals[0] !== 'year' || positionals.length !== 1) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadStackConfig();
  const secrets = loadDevSecrets(config.home);
  const adapters = Object.fromEntries(
    PARTIES.map((party) => [
      adapterNameOf(party),
      { url: `http://127.0.0.1:${party.adapter.port}`, token: secrets.tokens[adapterNameOf(party)] ?? '' },
    ]),
  );
  const year = generateYear({
    seed: wholeNumber('seed', values.seed, undefined),
    referrals: wholeNumber('referrals', values.referrals, undefined),
    year: wholeNumber('year', values.year, undefined),
  });
  const sent = await sendYear(year, adapters, log, { concurrency: wholeNumber('concurrency', values.concurrency, undefined) });
  if (!values.verify) return sent.refused.size === 0 ? 0 : 1;

  const db = createDatabase({ url: config.databaseUrl, poolMax: 2, applicationName: 'passerelle-demo-verify' });
  try {
    const result = await verifyYear(
      year,
      sent,
      {
        db,
        schema: process.env['PASSERELLE_VIEW_SCHEMA'] ?? 'view',
        viewApiUrl: `http://127.0.0.1:${servicePorts()['view-api']}`,
        token: coordinationOfficeToken(secrets.jwtSecret),
      },
      log,
    );
    return result.ok && sent.refused.size === 0 ? 0 : 1;
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[demo] failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
