import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KAFKA_PRINCIPALS, credentialsFile, ensureCredentials, parseCredentials, readCredentials, saslOf } from './kafka-credentials.ts';
import { StackError } from './errors.ts';

const homes: string[] = [];
function newHome(): { home: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'passerelle-credentials-'));
  homes.push(home);
  return { home };
}

afterEach(() => {
  for (const home of homes.splice(0)) fs.rmSync(home, { recursive: true, force: true });
});

describe('the local Kafka credentials', () => {
  it('are generated once per data folder, one distinct random password per principal, in a file only its owner can read', () => {
    const config = newHome();
    expect(readCredentials(config)).toBeUndefined();

    const first = ensureCredentials(config);
    expect(first.created).toBe(true);
    expect(Object.keys(first.credentials).sort()).toEqual([...KAFKA_PRINCIPALS].sort());
    const passwords = Object.values(first.credentials).map((c) => c.password);
    expect(new Set(passwords).size).toBe(KAFKA_PRINCIPALS.length);
    for (const password of passwords) expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fs.statSync(credentialsFile(config)).mode & 0o777).toBe(0o600);

    const second = ensureCredentials(config);
    expect(second).toEqual({ credentials: first.credentials, created: false });
    expect(readCredentials(config)).toEqual(first.credentials);
  });

  it('refuses a file missing a principal, naming it and never echoing a password', () => {
    const principals = Object.fromEntries(
      KAFKA_PRINCIPALS.filter((p) => p !== 'projector').map((p) => [p, { username: p, password: `secret-${p}` }]),
    );
    let caught: unknown;
    try {
      parseCredentials({ principals }, 'creds.json');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StackError);
    expect((caught as Error).message).toContain('principal "projector" needs a non-empty username and password');
    expect((caught as Error).message).not.toContain('secret-');
  });

  it('give SCRAM-SHA-512 options per principal, and none without credentials', () => {
    const { credentials } = ensureCredentials(newHome());
    expect(saslOf(credentials, 'justice')).toEqual({
      mechanism: 'scram-sha-512',
      username: 'justice',
      password: credentials['justice']?.password,
    });
    expect(saslOf(undefined, 'admin')).toBeUndefined();
  });
});
