import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningAdapter } from '@passerelle/adapter';
import { LogCapture, testAdapterConfig } from '@passerelle/adapter/testing';
import { start } from '@passerelle/adapter-coordination-office';
import { clientToken, createTestDatabase, realmAdmin, requireIdentity, type TestDatabase, type TestIdentity } from '@passerelle/testing';

const stack = inject('stack');
const AUDIENCE = 'adapter-coordination-office';

let database: TestDatabase;
let adapter: RunningAdapter;
let identity: TestIdentity;
const testClients: string[] = [];

/** A client made for one test: client credentials, its own ministry claim and audience, optionally a token lifespan in seconds. */
async function testClient(ministry: string, audience: string, lifespanSeconds?: number): Promise<{ clientId: string; secret: string }> {
  const clientId = `test-${ministry.toLowerCase()}-${randomBytes(4).toString('hex')}`;
  const secret = randomBytes(24).toString('base64url');
  const mapper = (name: string, type: string, config: Record<string, string>) => ({
    name,
    protocol: 'openid-connect',
    protocolMapper: type,
    config,
  });
  const admin = await realmAdmin(identity);
  const created = await admin('POST', '/clients', {
    clientId,
    secret,
    publicClient: false,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    defaultClientScopes: [],
    ...(lifespanSeconds === undefined ? {} : { attributes: { 'access.token.lifespan': String(lifespanSeconds) } }),
    protocolMappers: [
      mapper('ministry', 'oidc-hardcoded-claim-mapper', {
        'claim.name': 'ministry',
        'claim.value': ministry,
        'access.token.claim': 'true',
      }),
      mapper('audience', 'oidc-audience-mapper', { 'included.custom.audience': audience, 'access.token.claim': 'true' }),
    ],
  });
  expect(created.status).toBe(201);
  testClients.push(clientId);
  return { clientId, secret };
}

function milestone(token: string): RequestInit {
  return {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      initiativeId: 'S2016-P1-04',
      status: 'started',
      recordedAt: `2025-03-01T10:${String(testClients.length).padStart(2, '0')}:00Z`,
    }),
  };
}

async function send(token: string): Promise<number> {
  const response = await fetch(`${adapter.url}/initiative-milestones`, milestone(token));
  await response.arrayBuffer();
  return response.status;
}

describe.skipIf(stack.identity === undefined)("an adapter's OAuth2 access tokens (Keycloak)", () => {
  beforeAll(async () => {
    identity = requireIdentity(stack.identity);
    database = await createTestDatabase(stack.databaseUrl, 'adapter_oauth');
    const config = testAdapterConfig(
      { ...stack, databaseUrl: database.url },
      {
        databaseSchema: `oauth_${randomBytes(3).toString('hex')}`,
        logLevel: 'silent',
        // No skew, so the expiry test waits seconds, not the default 30.
        oauth: {
          issuer: identity.issuer,
          jwksUrl: `${identity.issuer}/protocol/openid-connect/certs`,
          audience: AUDIENCE,
          clockToleranceSeconds: 0,
        },
      },
    );
    adapter = await start(config, { logDestination: new LogCapture(), flushMs: 500 });
  });
  afterAll(async () => {
    await adapter?.stop();
    await database?.drop();
    if (identity && testClients.length > 0) {
      const admin = await realmAdmin(identity);
      for (const clientId of testClients) {
        const [client] = (await (await admin('GET', `/clients?clientId=${clientId}`)).json()) as { id: string }[];
        if (client) await admin('DELETE', `/clients/${client.id}`);
      }
    }
  });

  it("accepts a client-credentials token of the ministry's systems: 202", async () => {
    expect(await send(await clientToken(identity, AUDIENCE))).toBe(202);
  });

  it("answers 401 to another adapter's token (wrong audience)", async () => {
    expect(await send(await clientToken(identity, 'adapter-justice'))).toBe(401);
  });

  it('answers 403 to a token for this adapter that carries another ministry', async () => {
    const { clientId, secret } = await testClient('JUSTICE', AUDIENCE);

    expect(await send(await clientToken(identity, clientId, secret))).toBe(403);
  });

  it('answers 401 to an expired token', async () => {
    const { clientId, secret } = await testClient('COORDINATION_OFFICE', AUDIENCE, 3);
    const token = await clientToken(identity, clientId, secret);
    expect(await send(token)).toBe(202);

    await sleep(4_000);

    expect(await send(token)).toBe(401);
  });

  it('answers 401 to a token signed by someone else, with the same claims', async () => {
    const [header, payload] = (await clientToken(identity, AUDIENCE)).split('.');

    expect(await send(`${header}.${payload}.${randomBytes(256).toString('base64url')}`)).toBe(401);
  });
});
