import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EnvReader, type EnvSource } from '@passerelle/config';
import { createDatabase } from '@passerelle/db';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, loadAuditVerifyConfig, type AuditVerifyConfig } from '../config.ts';
import { MINISTRIES, ROLES } from '../domain/access.ts';
import { auditSeal, formatAuditHead, parseAuditHead, type AuditHead } from '../domain/audit-chain.ts';
import { verifyAuditTrail } from '../domain/audit-verification.ts';
import { AuditRepository } from '../data-access/audit.repository.ts';
import { mintDevToken } from './dev-tokens.ts';

const USAGE = `usage: npm run view-api -- token <${ROLES.join('|')}> [--ministry ${MINISTRIES.join('|')}] [--subject id] [--expires 8h]
       npm run view-api -- audit verify [--head <id>:<hash>]
token (development only): signs an HS256 development token with PASSERELLE_JWT_SECRET, or else the secret
npm start keeps in $PASSERELLE_HOME/secrets.json (default .passerelle/); PASSERELLE_JWT_ISSUER /
PASSERELLE_JWT_AUDIENCE if set. A view API with PASSERELLE_ENVIRONMENT=production refuses these tokens;
people sign in through the identity provider (docs/identity.md).
audit verify: recomputes the audit's hash chain in DATABASE_URL (schema PASSERELLE_VIEW_API_SCHEMA) with
PASSERELLE_AUDIT_HMAC_KEY (or the local stack's) and names the first row where it breaks; --head, a head
kept outside (GET /v1/audit/head), also catches a deleted tail. Exit 0 intact, 1 broken, 2 bad usage or
configuration, 3 the audit could not be read.`;

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

type Out = (line: string) => void;

/** A secret `npm start` generated for the local stack, so the CLI works against it without copying. */
function localStackSecret(env: EnvSource, name: 'jwtSecret' | 'auditHmacKey'): string | undefined {
  const file = path.join(path.resolve(REPO_ROOT, env['PASSERELLE_HOME'] ?? '.passerelle'), 'secrets.json');
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const value = parsed[name];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Returns the exit code; `token` prints the token alone on stdout so it can be captured. */
export async function runCli(argv: readonly string[], env: EnvSource, out: Out = console.log, err: Out = console.error): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        ministry: { type: 'string' },
        subject: { type: 'string' },
        expires: { type: 'string' },
        head: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const [command, ...rest] = positionals;
  if (!values.help && command === 'token' && rest.length === 1 && rest[0]) return token(rest[0], values, env, out, err);
  if (!values.help && command === 'audit' && rest.length === 1 && rest[0] === 'verify') return auditVerify(values.head, env, out, err);
  err(USAGE);
  return values.help ? 0 : 2;
}

async function token(
  role: string,
  values: { ministry?: string; subject?: string; expires?: string },
  env: EnvSource,
  out: Out,
  err: Out,
): Promise<number> {
  if (env['PASSERELLE_ENVIRONMENT'] === 'production') {
    err('token: development only; with PASSERELLE_ENVIRONMENT=production sign in through the identity provider (docs/identity.md)');
    return 2;
  }
  if (!(ROLES as readonly string[]).includes(role)) {
    err(`unknown role; one of ${ROLES.join(', ')}`);
    return 2;
  }
  if (role === 'ministry' && !(MINISTRIES as readonly string[]).includes(values.ministry ?? '')) {
    err(`a ministry token needs --ministry ${MINISTRIES.join('|')}`);
    return 2;
  }
  const read = new EnvReader({ PASSERELLE_JWT_SECRET: localStackSecret(env, 'jwtSecret'), ...stripEmpty(env) });
  const secret = read.requiredString('PASSERELLE_JWT_SECRET', { minLength: 32 });
  const issuer = read.string('PASSERELLE_JWT_ISSUER', DEFAULT_ISSUER);
  const audience = read.string('PASSERELLE_JWT_AUDIENCE', DEFAULT_AUDIENCE);
  try {
    read.done();
  } catch (error) {
    err((error as Error).message);
    return 1;
  }
  out(
    await mintDevToken({
      secret,
      issuer,
      audience,
      role,
      ministry: role === 'ministry' ? values.ministry : undefined,
      subject: values.subject,
      expiresIn: values.expires,
    }),
  );
  // On stderr, so that `$(npm run view-api -- token …)` still captures the token alone.
  err('development only: a view API with PASSERELLE_ENVIRONMENT=production refuses this token');
  return 0;
}

async function auditVerify(headArgument: string | undefined, env: EnvSource, out: Out, err: Out): Promise<number> {
  let remembered: AuditHead | undefined;
  if (headArgument !== undefined) {
    remembered = parseAuditHead(headArgument);
    if (!remembered) {
      err(`--head takes <id>:<hash>, the hash as 64 lower-case hex digits (GET /v1/audit/head)\n${USAGE}`);
      return 2;
    }
  }
  let config: AuditVerifyConfig;
  try {
    config = loadAuditVerifyConfig({ PASSERELLE_AUDIT_HMAC_KEY: localStackSecret(env, 'auditHmacKey'), ...stripEmpty(env) });
  } catch (error) {
    err((error as Error).message);
    return 2;
  }
  const db = createDatabase({ url: config.databaseUrl, poolMax: 1, applicationName: 'passerelle-view-api-audit-verify' });
  try {
    const trail = new AuditRepository(db, config.apiSchema, auditSeal(config.hmacKey));
    const { broken, summary } = await verifyAuditTrail(trail, config.hmacKey, remembered);
    if (broken) {
      err(`audit chain broken at row ${broken.id}: ${broken.problem}`);
      return 1;
    }
    const unsealed = summary.unsealed > 0 ? `; ${summary.unsealed} rows from before the chain began are not covered` : '';
    out(
      `audit chain intact: ${summary.sealed} rows${summary.head ? `, head ${formatAuditHead(summary.head)}` : ''}${remembered ? `, the remembered head ${remembered.id} is in place` : ''}${unsealed}`,
    );
    return 0;
  } catch (error) {
    // The error's class and code only: a driver message can quote a connection string.
    const code = (error as { code?: unknown }).code;
    err(`cannot read the audit: ${(error as Error).name}${typeof code === 'string' ? ` ${code}` : ''}`);
    return 3;
  } finally {
    await db.destroy();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  process.exitCode = await runCli(process.argv.slice(2), process.env);
}

function stripEmpty(env: EnvSource): EnvSource {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
}
