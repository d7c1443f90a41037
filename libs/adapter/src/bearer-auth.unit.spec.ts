import { describe, expect, it } from 'vitest';
import type { NextFunction, Request, Response } from 'express';
import { ProblemError } from '@passerelle/http';
import { requireBearerToken } from './bearer-auth.ts';

const token = 'ministry-token-with-at-least-32-characters';

function run(authorization: string | undefined): { error: unknown; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  let error: unknown = 'not called';
  const req = { headers: authorization === undefined ? {} : { authorization } } as Request;
  const res = { setHeader: (name: string, value: string) => void (headers[name] = value) } as unknown as Response;
  requireBearerToken(token)(req, res, ((e?: unknown) => (error = e)) as NextFunction);
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
