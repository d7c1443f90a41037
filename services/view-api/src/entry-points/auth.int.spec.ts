import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { OidcSettings } from '../config.ts';
import { createVerifier } from './auth.ts';
import { mintDevToken } from './dev-tokens.ts';

const issuer = 'https://idp.example/realms/passerelle';
const audience = 'passerelle-view-api';
let server: Server;
let oidc: OidcSettings;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`;
  oidc = { issuer, jwksUrl, audience, clockToleranceSeconds: 30, maxTokenAgeSeconds: 600, dashboardClientId: 'passerelle-dashboard' };
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const rs256 = (claims: Record<string, unknown>, options: { audience?: string; issuedAt?: number; expiresIn?: string } = {}) =>
  new SignJWT({ typ: 'Bearer', ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject('user-7')
    .setIssuer(issuer)
    .setAudience(options.audience ?? audience)
    .setIssuedAt(options.issuedAt)
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(privateKey);
const roles = (...names: string[]) => ({ realm_access: { roles: names } });
const dev = { issuer: 'passerelle-dev', audience, key: { kind: 'secret' as const, secret: 's'.repeat(40) } };

describe('bearer token verification', () => {
  it('refuses the provider’s ID token or refresh token, signed by the same keys for the same audience, as an access token', async () => {
    const verify = createVerifier({ environment: 'production', oidc });
    for (const typ of ['ID', 'Refresh', undefined]) {
      const token = await rs256({ ...roles('coordination-office'), typ });
      await expect(verify(token), String(typ)).rejects.toMatchObject({ status: 401 });
    }
  });

  it('accepts the provider’s RS256 token through its JWKS and takes the one role of realm_access.roles among Keycloak’s own', async () => {
    const verify = createVerifier({ environment: 'production', oidc });
    await expect(
      verify(await rs256({ ...roles('offline_access', 'ministry', 'default-roles-passerelle'), ministry: 'HEALTH' })),
    ).resolves.toEqual({
      subject: 'user-7',
      role: 'ministry',
      ministry: 'HEALTH',
    });
  });

  it('refuses a provider token for another audience with 401', async () => {
    const verify = createVerifier({ environment: 'production', oidc });
    await expect(verify(await rs256(roles('operator'), { audience: 'elsewhere' }))).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a provider token issued longer ago than the maximum age with 401, even when it has not expired', async () => {
    const verify = createVerifier({ environment: 'production', oidc });
    const issuedAt = Math.floor(Date.now() / 1000) - 700;
    await expect(verify(await rs256(roles('operator'), { issuedAt, expiresIn: '1h' }))).rejects.toMatchObject({ status: 401 });
  });

  it('answers 403 naming the rule for a token with none or several of the API’s roles, 401 for a malformed roles claim', async () => {
    const verify = createVerifier({ environment: 'production', oidc });
    await expect(verify(await rs256(roles('offline_access')))).rejects.toMatchObject({
      status: 403,
      message: expect.stringMatching(/none of this API's roles/),
    });
    await expect(verify(await rs256(roles('operator', 'coordination-office')))).rejects.toMatchObject({
      status: 403,
      message: expect.stringMatching(/several of this API's roles \(coordination-office, operator\); a person must have exactly one/),
    });
    await expect(verify(await rs256({ role: 'operator' }))).rejects.toMatchObject({
      status: 401,
      errors: [{ field: 'token.realm_access.roles', reason: 'is required' }],
    });
    await expect(verify(await rs256(roles('operator\u0000')))).rejects.toMatchObject({
      status: 401,
      errors: [{ field: 'token.realm_access.roles' }],
    });
  });

  it('refuses an HS256 token when only the provider is trusted, so a shared secret cannot stand in for it', async () => {
    const verify = createVerifier({ environment: 'development', oidc });
    const hs = await mintDevToken({ secret: 'x'.repeat(32), issuer, audience, role: 'operator' });
    await expect(verify(hs)).rejects.toMatchObject({ status: 401 });
  });

  it('verifies development tokens with the shared secret outside production and answers 403 for an unknown role', async () => {
    const verify = createVerifier({ environment: 'development', oidc, jwt: dev });
    const good = await mintDevToken({ secret: dev.key.secret, ...dev, role: 'indigenous-partner' });
    await expect(verify(good)).resolves.toMatchObject({ role: 'indigenous-partner' });
    const unknown = await mintDevToken({ secret: dev.key.secret, ...dev, role: 'superuser' });
    await expect(verify(unknown)).rejects.toMatchObject({ status: 403 });
  });

  it('refuses a development token in production even when a secret is configured', async () => {
    const verify = createVerifier({ environment: 'production', oidc, jwt: dev });
    const good = await mintDevToken({ secret: dev.key.secret, ...dev, role: 'coordination-office' });
    await expect(verify(good)).rejects.toMatchObject({ status: 401, message: 'development tokens are refused in production' });
  });
});
