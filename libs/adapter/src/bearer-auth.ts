import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { problems } from '@passerelle/http';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Accepts only requests carrying `Authorization: Bearer <the ministry's token>`. Both sides
 * are hashed first so the comparison takes the same time whatever the length or content of
 * what was sent.
 */
export function requireBearerToken(token: string) {
  const expected = digest(token);
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer ([\x21-\x7e]+)$/i.exec(header.trim());
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="passerelle"');
      next(problems.unauthorized(header === undefined ? 'send the ministry credential as a bearer token' : 'the credential is not valid for this adapter'));
      return;
    }
    next();
  };
}
