import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_ROLE_KEYS, loadDevSecrets } from './dev-secrets.ts';

const homes: string[] = [];
function newHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-dev-secrets-'));
  homes.push(home);
  return home;
}

afterEach(() => {
  for (const home of homes.splice(0)) fs.rmSync(home, { recursive: true, force: true });
});

describe('the local stack secrets', () => {
  it('include a record-key secret for the projector, made at the first start and the same at every later one', () => {
    const home = newHome();

    const first = loadDevSecrets(home);
    const again = loadDevSecrets(home);

    expect(first.recordKeySecret.length).toBeGreaterThanOrEqual(32);
    expect(again).toEqual(first);
    expect(fs.statSync(path.join(home, 'secrets.json')).mode & 0o777).toBe(0o600);
  });

  it('complete a secrets.json written before record keys, keeping every secret it already had', () => {
    const home = newHome();
    const older = { ...loadDevSecrets(home), recordKeySecret: undefined };
    fs.writeFileSync(path.join(home, 'secrets.json'), JSON.stringify(older), { mode: 0o600 });

    const completed = loadDevSecrets(home);

    expect(completed).toMatchObject({ tokens: older.tokens, pseudonymKeys: older.pseudonymKeys, jwtSecret: older.jwtSecret });
    expect(completed.recordKeySecret.length).toBeGreaterThanOrEqual(32);
    expect(loadDevSecrets(home).recordKeySecret).toBe(completed.recordKeySecret);
  });

  it('include an audit-chain key for the view API, made once, and added to a secrets.json written before it', () => {
    const home = newHome();
    const first = loadDevSecrets(home);
    expect(first.auditHmacKey.length).toBeGreaterThanOrEqual(32);
    expect(loadDevSecrets(home).auditHmacKey).toBe(first.auditHmacKey);

    const older = { ...first, auditHmacKey: undefined };
    fs.writeFileSync(path.join(home, 'secrets.json'), JSON.stringify(older), { mode: 0o600 });
    const completed = loadDevSecrets(home);

    expect(completed).toMatchObject({
      tokens: first.tokens,
      pseudonymKeys: first.pseudonymKeys,
      jwtSecret: first.jwtSecret,
      recordKeySecret: first.recordKeySecret,
    });
    expect(completed.auditHmacKey.length).toBeGreaterThanOrEqual(32);
    expect(completed.auditHmacKey).not.toBe(first.auditHmacKey);
    expect(loadDevSecrets(home).auditHmacKey).toBe(completed.auditHmacKey);
  });

  it('include a password for every database role, made once, and added to a secrets.json written before roles', () => {
    const home = newHome();
    const first = loadDevSecrets(home);
    expect(Object.keys(first.databasePasswords).sort()).toEqual([...DATABASE_ROLE_KEYS].sort());
    expect(new Set(Object.values(first.databasePasswords)).size).toBe(DATABASE_ROLE_KEYS.length);
    expect(loadDevSecrets(home).databasePasswords).toEqual(first.databasePasswords);

    const older = { ...first, databasePasswords: { migrator: first.databasePasswords['migrator'] } };
    fs.writeFileSync(path.join(home, 'secrets.json'), JSON.stringify(older), { mode: 0o600 });
    const completed = loadDevSecrets(home);

    expect(completed).toMatchObject({ auditHmacKey: first.auditHmacKey, recordKeySecret: first.recordKeySecret });
    expect(completed.databasePasswords['migrator']).toBe(first.databasePasswords['migrator']);
    expect(Object.keys(completed.databasePasswords).sort()).toEqual([...DATABASE_ROLE_KEYS].sort());
    expect(fs.statSync(path.join(home, 'secrets.json')).mode & 0o777).toBe(0o600);
  });

  it('include a key-encryption key of 64 hex digits, made once, and added to a secrets.json written before it without touching the rest', () => {
    const home = newHome();
    const first = loadDevSecrets(home);
    expect(first.keyEncryptionKey).toMatch(/^[0-9a-f]{64}$/);
    expect(loadDevSecrets(home).keyEncryptionKey).toBe(first.keyEncryptionKey);

    const older = { ...first, keyEncryptionKey: undefined };
    fs.writeFileSync(path.join(home, 'secrets.json'), JSON.stringify(older), { mode: 0o600 });
    const completed = loadDevSecrets(home);

    expect(completed).toEqual({ ...first, keyEncryptionKey: completed.keyEncryptionKey });
    expect(completed.keyEncryptionKey).toMatch(/^[0-9a-f]{64}$/);
    expect(completed.keyEncryptionKey).not.toBe(first.keyEncryptionKey);
    expect(loadDevSecrets(home).keyEncryptionKey).toBe(completed.keyEncryptionKey);
    expect(fs.statSync(path.join(home, 'secrets.json')).mode & 0o777).toBe(0o600);
  });
});
