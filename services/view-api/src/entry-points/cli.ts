import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EnvReader, type EnvSource } from '@passerelle/config';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '../config.ts';
import { MINISTRIES, ROLES } from '../domain/access.ts';
import { mintDevToken } from './dev-tokens.ts';

const USAGE = `usage: npm run view-api -- token <${ROLES.join('|')}> [--ministry ${MINISTRIES.join('|')}] [--subject id] [--expires 8h]
Signs a development token with PASSERELLE_JWT_SECRET, or else the secret npm start keeps in
$PASSERELLE_HOME/secrets.json (default .passerelle/); PASSERELLE_JWT_ISSUER / PASSERELLE_JWT_AUDIENCE if set.`;

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The secret `npm start` generated for the local stack, so a dev token works against it without copying. */
function localStackSecret(env: EnvSource): string | undefined {
  const file = path.join(path.resolve(REPO_ROOT, env['PASSERELLE_HOME'] ?? '.passerelle'), 'secrets.json');
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { jwtSecret?: unknown };
    return typeof parsed.jwtSecret === 'string' ? parsed.jwtSecret : undefined;
  } catch {
    return undefined;
  }
}

/** Returns the exit code; prints the token alone on stdout so it can be captured. */
export async function runCli(argv: readonly string[], env: EnvSource, out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { ministry: { type: 'string' }, subject: { type: 'string' }, expires: { type: 'string' }, help: { type: 'boolean' } },
  });
  const [command, role] = positionals;
  if (values.help || command !== 'token' || !role) {
    err(USAGE);
    return values.help ? 0 : 2;
  }
  if (!(ROLES as readonly string[]).includes(role)) {
    err(`unknown role; one of ${ROLES.join(', ')}`);
    return 2;
  }
  if (role === 'ministry' && !(MINISTRIES as readonly string[]).includes(values.ministry ?? '')) {
    err(`a ministry token needs --ministry ${MINISTRIES.join('|')}`);
    return 2;
  }
  const read = new EnvReader({ PASSERELLE_JWT_SECRET: localStackSecret(env), ...stripEmpty(env) });
  const secret = read.requiredString('PASSERELLE_JWT_SECRET', { minLength: 32 });
  const issuer = read.string('PASSERELLE_JWT_ISSUER', DEFAULT_ISSUER);
  const audience = read.string('PASSERELLE_JWT_AUDIENCE', DEFAULT_AUDIENCE);
  try {
    read.done();
  } catch (error) {
    err((error as Error).message);
    return 1;
  }
  out(await mintDevToken({ secret, issuer, audience, role, ministry: role === 'ministry' ? values.ministry : undefined, subject: values.subject, expiresIn: values.expires }));
  return 0;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  process.exitCode = await runCli(process.argv.slice(2), process.env);
}

function stripEmpty(env: EnvSource): EnvSource {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
}
