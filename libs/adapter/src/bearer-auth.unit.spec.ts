import { describe, expect, it } from 'vitest';
import type { NextFunction, Request, Response } from 'express';
import { ProblemError } from '@passerelle/http';
import type { AccessTokenCheck } from './access-token.ts';
import { requireBearerToken, requireMinistryCredential } from './bearer-auth.ts';

const token = 'ministry-token-with-at-least-32-characters';

function run(authorization: string | undefined): { error: unknown; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  let error: unknown = 'not called';
  const req = { headers: authorization === undefined ? {} : { authorization } } as Request;
  const res = { setHeader: (name: string, value: string) => void (headers[name] = value) } as unknown as Response;
  requireBearerToken(token, 'JUSTICE')(req, res, ((e?: unknown) => (error = e)) as NextFunction);
  return { error, headers };
}

describe('bearer-token check', () => {
  it('lets the ministry’s own token through', () => {
    expect(run(`Bearer ${token}`).error).toBeUndefined();
    expect(run(`bearer ${token}`).error).toBeUndefined();
  });

  it.each([
    ['no header', undefined],
    ['another token', 'Bearer another-token-with-at-least-32-characters'],
    ['a prefix of the token', `Bearer ${token.slice(0, 20)}`],
    ['the token with a suffix', `Bearer ${token}x`],
    ['basic credentials', `Basic ${Buffer.from(`x:${token}`).toString('base64')}`],
    ['the bare token', token],
  ])('answers 401 with a challenge for %s', (_what, header) => {
    const { error, headers } = run(header);

    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).status).toBe(401);
    expect(headers['WWW-Authenticate']).toBe('Bearer realm="passerelle"');
  });
});

describe('access-token check', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

  async function check(authorization: string, result: AccessTokenCheck): Promise<{ error: unknown; headers: Record<string, string> }> {
    const headers: Record<string, string> = {};
    let error: unknown = 'not called';
    const req = { headers: { authorization } } as Request;
    const res = { setHeader: (name: string, value: string) => void (headers[name] = value) } as unknown as Response;
    const middleware = requireMinistryCredential({ ministry: 'JUSTICE', staticToken: token, accessTokens: () => Promise.resolve(result) });
    await middleware(req, res, ((e?: unknown) => (error = e)) as NextFunction);
    return { error, headers };
  }
  const statusOf = (error: unknown): number | undefined => (error instanceof ProblemError ? error.status : undefined);

  it("lets a valid token of the adapter's ministry through, and the static token still", async () => {
    expect((await check(`Bearer ${jwt}`, { kind: 'valid', ministry: 'JUSTICE' })).error).toBeUndefined();
    expect((await check(`Bearer ${token}`, { kind: 'invalid' })).error).toBeUndefined();
  });

  it('answers 403 to a valid token of another ministry, or of none', async () => {
    expect(statusOf((await check(`Bearer ${jwt}`, { kind: 'valid', ministry: 'HEALTH' })).error)).toBe(403);
    expect(statusOf((await check(`Bearer ${jwt}`, { kind: 'valid', ministry: undefined })).error)).toBe(403);
  });

  it('answers 401 with a challenge to an invalid token, 503 when the keys cannot be fetched', async () => {
    const invalid = await check(`Bearer ${jwt}`, { kind: 'invalid' });

    expect(statusOf(invalid.error)).toBe(401);
    expect(invalid.headers['WWW-Authenticate']).toBe('Bearer realm="passerelle"');
    expect(statusOf((await check(`Bearer ${jwt}`, { kind: 'unavailable' })).error)).toBe(503);
  });
});
