import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MIGRATOR, SERVICE_ROLES } from '@passerelle/db';

/** The ministries that have an adapter, by service folder suffix. */
export const ADAPTER_MINISTRIES = ['justice', 'child-welfare', 'health', 'education', 'coordination-office'] as const;
export type AdapterMinistry = (typeof ADAPTER_MINISTRIES)[number];

export interface DevSecrets {
  /** Bearer token each ministry's systems present to its adapter. */
  readonly tokens: Record<AdapterMinistry, string>;
  /** HMAC key each adapter pseudonymises person references with. */
  readonly pseudonymKeys: Record<AdapterMinistry, string>;
  /** HS256 key the view API verifies development tokens with (npm run view-api -- token …). */
  readonly jwtSecret: string;
  /** HMAC key of the referrals' record keys (the projector; the view keeps its fingerprint, so it must not change). */
  readonly recordKeySecret: string;
  /** HMAC key of the view API's audit hash chain (`npm run view-api -- audit verify` needs the same one). */
  readonly auditHmacKey: string;
  /** PostgreSQL password of each database role (`migrator`, `adapter_justice`, …, `projector`, `view_api`). */
  readonly databasePasswords: Record<string, string>;
}

/** Every database role `npm start` creates, by the name its password is kept under. */
export const DATABASE_ROLE_KEYS: readonly string[] = [MIGRATOR, ...SERVICE_ROLES.map((role) => role.service)];

function databasePasswords(existing: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.fromEntries(DATABASE_ROLE_KEYS.map((key) => [key, existing[key] ?? secret()]));
}

function secret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Credentials for the local stack only: made at the first `npm start` and kept in the
 * git-ignored data folder (mode 0600), so they are stable across restarts and never in the repo.
 * Production passes real ones through the environment.
 */
export function loadDevSecrets(home: string): DevSecrets {
  const file = path.join(home, 'secrets.json');
  if (fs.existsSync(file)) {
    const existing = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<DevSecrets>;
    const complete = existing.databasePasswords !== undefined && DATABASE_ROLE_KEYS.every((key) => existing.databasePasswords?.[key] !== undefined);
    if (existing.tokens && existing.pseudonymKeys && existing.jwtSecret && existing.recordKeySecret && existing.auditHmacKey && complete) return existing as DevSecrets;
    // Written by an older version: keep what exists, add what is missing.
    const completed: DevSecrets = {
      tokens: existing.tokens ?? (Object.fromEntries(ADAPTER_MINISTRIES.map((m) => [m, secret()])) as Record<AdapterMinistry, string>),
      pseudonymKeys: existing.pseudonymKeys ?? (Object.fromEntries(ADAPTER_MINISTRIES.map((m) => [m, secret()])) as Record<AdapterMinistry, string>),
      jwtSecret: existing.jwtSecret ?? secret(),
      recordKeySecret: existing.recordKeySecret ?? secret(),
      auditHmacKey: existing.auditHmacKey ?? secret(),
      databasePasswords: databasePasswords(existing.databasePasswords),
    };
    fs.writeFileSync(file, JSON.stringify(completed, null, 2), { mode: 0o600 });
    return completed;
  }
  const made: DevSecrets = {
    tokens: Object.fromEntries(ADAPTER_MINISTRIES.map((m) => [m, secret()])) as Record<AdapterMinistry, string>,
    pseudonymKeys: Object.fromEntries(ADAPTER_MINISTRIES.map((m) => [m, secret()])) as Record<AdapterMinistry, string>,
    jwtSecret: secret(),
    recordKeySecret: secret(),
    auditHmacKey: secret(),
    databasePasswords: databasePasswords(),
  };
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(made, null, 2), { mode: 0o600 });
  return made;
}
