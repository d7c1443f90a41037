import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { accessTokenVerifier } from './access-token.ts';

/** A key-set endpoint on loopback whose answer each test chooses. */
let answer: { status: number; body: string } = { status: 200, body: '{"keys":[]}' };
let server: http.Server;
let jwksUrl: string;
let token: string;
let keySet: string;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  keySet = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
  token = await new SignJWT({ typ: 'Bearer' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer('https://idp.example/realms/passerelle')
    .setAudience('adapter-justice')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
  server = http.createServer((_req, res) => res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const verifier = () =>
  accessTokenVerifier({ issuer: 'https://idp.example/realms/passerelle', jwksUrl, audience: 'adapter-justice', clockToleranceSeconds: 30 });

describe('access tokens checked against the provider’s key set', () => {
  it('accepts a token signed by a key of the set', async () => {
    answer = { status: 200, body: keySet };
    expect((await verifier()(token)).kind).toBe('valid');
  });

  it('calls the provider unavailable, not the token invalid, when the key set answers 503 or 404', async () => {
    for (const status of [503, 404]) {
      answer = { status, body: '{"error":"down"}' };
      expect((await verifier()(token)).kind, String(status)).toBe('unavailable');
    }
  });

  it('calls the provider unavailable when the key set is not a key set', async () => {
    answer = { status: 200, body: '{"not":"keys"}' };
    expect((await verifier()(token)).kind).toBe('unavailable');
  });

  it('calls a token invalid when the set holds no key it names', async () => {
    answer = { status: 200, body: '{"keys":[]}' };
    expect((await verifier()(token)).kind).toBe('invalid');
  });
});
