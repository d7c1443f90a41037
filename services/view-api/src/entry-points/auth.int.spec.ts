import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createVerifier } from './auth.ts';
import { mintDevToken } from './dev-tokens.ts';

const jwt = { issuer: 'https://idp.example', audience: 'passerelle-view-api' };
let server: Server;
let jwksUrl: string;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const es256 = (claims: Record<string, unknown>, audience = jwt.audience) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('user-7').setIssuer(jwt.issuer).setAudience(audience).setExpirationTime('5m').sign(privateKey);

describe('bearer token verification', () => {
  it('accepts an ES256 token from an identity provider through its JWKS and reads role and ministry', async () => {
    const verify = createVerifier({ ...jwt, key: { kind: 'jwks', url: jwksUrl } });
    await expect(verify(await es256({ role: 'ministry', ministry: 'HEALTH' }))).resolves.toEqual({ subject: 'user-7', role: 'ministry', ministry: 'HEALTH' });
  });

  it('refuses a JWKS-signed token for another audience with 401', async () => {
    const verify = createVerifier({ ...jwt, key: { kind: 'jwks', url: jwksUrl } });
    await expect(verify(await es256({ role: 'operator' }, 'elsewhere'))).rejects.toMatchObject({ status: 401 });
  });

  it('refuses an HS256 token when only JWKS keys are trusted, so a shared secret cannot stand in for the provider', async () => {
    const verify = createVerifier({ ...jwt, key: { kind: 'jwks', url: jwksUrl } });
    const hs = await mintDevToken({ secret: 'x'.repeat(32), issuer: jwt.issuer, audience: jwt.audience, role: 'operator' });
    await expect(verify(hs)).rejects.toMatchObject({ status: 401 });
  });

  it('verifies development tokens with the shared secret and answers 403 for an unknown role', async () => {
    const secret = 's'.repeat(40);
    const verify = createVerifier({ ...jwt, key: { kind: 'secret', secret } });
    const good = await mintDevToken({ secret, ...jwt, role: 'indigenous-partner' });
    await expect(verify(good)).resolves.toMatchObject({ role: 'indigenous-partner' });
    const unknown = await mintDevToken({ secret, ...jwt, role: 'superuser' });
    await expect(verify(unknown)).rejects.toMatchObject({ status: 403 });
  });
});
