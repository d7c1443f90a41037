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
  /** Claims set as given over role, ministry and sub, whatever their type (tests of hostile tokens). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** Development tokens signed with the shared HS256 secret; a real identity provider replaces this. */
export async function mintDevToken(options: DevTokenOptions): Promise<string> {
  const claims: Record<string, unknown> = { role: options.role as Role };
  if (options.ministry) claims['ministry'] = options.ministry;
  claims['sub'] = options.subject ?? `dev-${options.role}${options.ministry ? `-${options.ministry.toLowerCase()}` : ''}`;
  return new SignJWT({ ...claims, ...options.claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '8h')
    .sign(new TextEncoder().encode(options.secret));
}
