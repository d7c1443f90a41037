import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

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
    if (existing.tokens && existing.pseudonymKeys && existing.jwtSecret && existing.recordKeySecret && existing.auditHmacKey) return existing as DevSecrets;
    // Written by an older version: keep what exists, add what is missing.
    const completed: DevSecrets = {
      tokens: existing.tokens ?? (Object.fromEntries(ADAPTER_MINISTRIES.map((m) => [m, secret()])) as Record<AdapterMinistry, string>),
      pseudonymKeys: existing.pseudonymKeys ?? (Object.fromEntries(ADAPTER_MINISTRIES.map((m) => [m, secret()])) as Record<AdapterMinistry, string>),
      jwtSecret: existing.jwtSecret ?? secret(),
      recordKeySecret: existing.recordKeySecret ?? secret(),
      auditHmacKey: existing.auditHmacKey ?? secret(),
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
  };
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(made, null, 2), { mode: 0o600 });
  return made;
}
