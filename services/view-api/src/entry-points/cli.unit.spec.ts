import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { runCli } from './cli.ts';

const env = { PASSERELLE_JWT_SECRET: 'dev-secret-dev-secret-dev-secret-0001' };

describe('the development token CLI', () => {
  it('mints a ministry token carrying its ministry, issuer and audience', async () => {
    const out: string[] = [];
    expect(
      await runCli(
        ['token', 'ministry', '--ministry', 'JUSTICE'],
        env,
        (l) => out.push(l),
        () => undefined,
      ),
    ).toBe(0);
    expect(decodeJwt(out[0] ?? '')).toMatchObject({
      role: 'ministry',
      ministry: 'JUSTICE',
      iss: 'passerelle-dev',
      aud: 'passerelle-view-api',
      sub: 'dev-ministry-justice',
    });
  });

  it('says the token is for development only, on stderr beside the token, and mints none in production', async () => {
    const out: string[] = [];
    const errors: string[] = [];
    expect(
      await runCli(
        ['token', 'operator'],
        env,
        (l) => out.push(l),
        (l) => errors.push(l),
      ),
    ).toBe(0);
    expect(out).toHaveLength(1);
    expect(errors.join('\n')).toMatch(/^development only/);
    expect(
      await runCli(
        ['token', 'operator'],
        { ...env, PASSERELLE_ENVIRONMENT: 'production' },
        (l) => out.push(l),
        (l) => errors.push(l),
      ),
    ).toBe(2);
    expect(out).toHaveLength(1);
    expect(errors.join('\n')).toContain('token: development only');
    const usage: string[] = [];
    await runCli(
      ['--help'],
      env,
      () => undefined,
      (l) => usage.push(l),
    );
    expect(usage.join('\n')).toContain('token (development only)');
  });

  it('refuses an unknown role, a ministry token without a ministry, and a missing secret', async () => {
    const errors: string[] = [];
    const err = (l: string) => errors.push(l);
    expect(await runCli(['token', 'admin'], env, () => undefined, err)).toBe(2);
    expect(await runCli(['token', 'ministry'], env, () => undefined, err)).toBe(2);
    expect(await runCli(['token', 'operator'], { PASSERELLE_HOME: '/nonexistent/passerelle-home' }, () => undefined, err)).toBe(1);
    expect(errors.join('\n')).toContain('PASSERELLE_JWT_SECRET');
  });

  it('answers bad usage of audit verify with exit code 2 before touching a database', async () => {
    const errors: string[] = [];
    const err = (l: string) => errors.push(l);
    const home = { PASSERELLE_HOME: '/nonexistent/passerelle-home', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' };
    expect(await runCli(['audit'], home, () => undefined, err)).toBe(2);
    expect(await runCli(['audit', 'check'], home, () => undefined, err)).toBe(2);
    expect(await runCli(['audit', 'verify', 'extra'], home, () => undefined, err)).toBe(2);
    expect(await runCli(['audit', 'verify', '--bogus'], home, () => undefined, err)).toBe(2);
    expect(
      await runCli(['audit', 'verify', '--head', '12'], { ...home, PASSERELLE_AUDIT_HMAC_KEY: 'k'.repeat(32) }, () => undefined, err),
    ).toBe(2);
    expect(errors.join('\n')).toContain('--head takes <id>:<hash>');
    errors.length = 0;
    expect(await runCli(['audit', 'verify'], { ...home, PASSERELLE_AUDIT_HMAC_KEY: 'too-short' }, () => undefined, err)).toBe(2);
    expect(errors.join('\n')).toContain('PASSERELLE_AUDIT_HMAC_KEY: must be at least 32 characters long');
    expect(errors.join('\n')).not.toContain('too-short');
  });
});
