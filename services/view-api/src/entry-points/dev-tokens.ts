import { SignJWT } from 'jose';
import type { Role } from '../domain/access.ts';

export interface DevTokenOptions {
  readonly secret: string;
  readonly issuer: string;
  readonly audience: string;
  readonly role: string;
  readonly ministry?: string;
  readonly subject?: string;
  readonly expiresIn?: string;
}

/** Development tokens signed with the shared HS256 secret; a real identity provider replaces this. */
export async function mintDevToken(options: DevTokenOptions): Promise<string> {
  const claims: Record<string, unknown> = { role: options.role as Role };
  if (options.ministry) claims['ministry'] = options.ministry;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject ?? `dev-${options.role}${options.ministry ? `-${options.ministry.toLowerCase()}` : ''}`)
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '8h')
    .sign(new TextEncoder().encode(options.secret));
}
