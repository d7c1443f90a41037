import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { adapterNameOf, PARTIES, type Party } from '@passerelle/contracts';
import { MIGRATOR } from '@passerelle/db';
import { databaseLayout } from './services.ts';

/** The parties' adapters by short name (`child-welfare`), the keys of their tokens and pseudonym keys. */
export function adapterNames(parties: readonly Party[] = PARTIES): string[] {
  return parties.map(adapterNameOf);
}

export interface DevSecrets {
  /** Bearer token each ministry's systems present to its adapter, by adapter name. */
  readonly tokens: Readonly<Record<string, string>>;
  /** HMAC key each adapter pseudonymises person references with, by adapter name. */
  readonly pseudonymKeys: Readonly<Record<string, string>>;
  /** HS256 key the view API verifies development tokens with (npm run view-api -- token …). */
  readonly jwtSecret: string;
  /** HMAC key of the referrals' record keys (the projector; the view keeps its fingerprint, so it must not change). */
  readonly recordKeySecret: string;
  /** HMAC key of the view API's audit hash chain (`npm run view-api -- audit verify` needs the same one). */
  readonly auditHmacKey: string;
  /**
   * Key-encryption key of the referrals' data keys (64 hex digits), the same for every adapter, the
   * projector and the view API; lost, it leaves every sealed subject unreadable, so it is never regenerated.
   */
  readonly keyEncryptionKey: string;
  /** PostgreSQL password of each database role (`migrator`, `adapter_justice`, …, `projector`, `view_api`). */
  readonly databasePasswords: Record<string, string>;
}

/** Every database role `npm start` creates, by the name its password is kept under. */
export function databaseRoleKeys(parties: readonly Party[] = PARTIES): string[] {
  return [MIGRATOR, ...databaseLayout(parties).map((role) => role.service)];
}
export const DATABASE_ROLE_KEYS: readonly string[] = databaseRoleKeys();

/** A secret for each key, keeping those already made: a party added since gets its own. */
function secretsFor(keys: readonly string[], existing: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, existing[key] ?? secret()]));
}

function secret(): string {
  return randomBytes(32).toString('base64url');
}

/** 32 random bytes as 64 hex digits, the form KeyEncryptionKey.fromHex reads. */
function hexKey(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The secrets `npm start` made, read without making any (an operator command must not create
 * them); undefined before the first `npm start` of this data folder or when the file is unreadable.
 */
export function readDevSecrets(home: string): Partial<DevSecrets> | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(home, 'secrets.json'), 'utf8')) as Partial<DevSecrets>;
  } catch {
    return undefined;
  }
}

/**
 * Credentials for the local stack only: made at the first `npm start` and kept in the
 * git-ignored data folder (mode 0600), so they are stable across restarts and never in the repo.
 * Production passes real ones through the environment.
 */
export function loadDevSecrets(home: string, parties: readonly Party[] = PARTIES): DevSecrets {
  const file = path.join(home, 'secrets.json');
  const existing = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<DevSecrets>) : undefined;
  const adapters = adapterNames(parties);
  const roles = databaseRoleKeys(parties);
  const has = (keys: readonly string[], map: Readonly<Record<string, string>> | undefined): boolean =>
    map !== undefined && keys.every((key) => map[key] !== undefined);
  if (
    existing?.jwtSecret &&
    existing.recordKeySecret &&
    existing.auditHmacKey &&
    existing.keyEncryptionKey &&
    has(adapters, existing.tokens) &&
    has(adapters, existing.pseudonymKeys) &&
    has(roles, existing.databasePasswords)
  ) {
    return existing as DevSecrets;
  }
  // First start, or written by an older version or before a party was added: keep what exists, add what is missing.
  const made: DevSecrets = {
    tokens: secretsFor(adapters, existing?.tokens),
    pseudonymKeys: secretsFor(adapters, existing?.pseudonymKeys),
    jwtSecret: existing?.jwtSecret ?? secret(),
    recordKeySecret: existing?.recordKeySecret ?? secret(),
    auditHmacKey: existing?.auditHmacKey ?? secret(),
    keyEncryptionKey: existing?.keyEncryptionKey ?? hexKey(),
    databasePasswords: secretsFor(roles, existing?.databasePasswords),
  };
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(made, null, 2), { mode: 0o600 });
  return made;
}
