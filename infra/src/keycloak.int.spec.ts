import { describe, expect, inject, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { claimsOf, clientToken, realmAdmin, requireIdentity, tokenRequest } from '@passerelle/testing';
import { loadStackConfig } from './config.ts';
import { provisionRealm } from './keycloak.ts';
import { loadRealmDocument } from './keycloak-realm.ts';
import { down, up } from './stack.ts';

const identity = inject('stack').identity;

function secretOf(clientId: string): string {
  const secret = identity?.credentials.clients[clientId];
  if (!secret) throw new Error(`no secret for ${clientId}`);
  return secret;
}

async function userToken(username: string, password = identity?.credentials.users[username] ?? ''): Promise<Response> {
  return tokenRequest(requireIdentity(identity), {
    grant_type: 'password',
    client_id: 'passerelle-dev-tools',
    client_secret: secretOf('passerelle-dev-tools'),
    username,
    password,
  });
}

async function adminApi(method: string, route: string, body?: unknown): Promise<Response> {
  return (await realmAdmin(requireIdentity(identity)))(method, route, body);
}

/** A user made through the admin API, as someone would in the admin console. */
async function createUser(prefix: string): Promise<{ username: string; password: string }> {
  const username = `${prefix}-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(16).toString('base64url');
  const created = await adminApi('POST', '/users', {
    username,
    enabled: true,
    firstName: prefix,
    lastName: 'User',
    email: `${username}@passerelle.invalid`,
    emailVerified: true,
    credentials: [{ type: 'password', value: password, temporary: false }],
  });
  expect(created.status).toBe(201);
  return { username, password };
}

async function deleteUser(username: string): Promise<void> {
  const [user] = (await (await adminApi('GET', `/users?exact=true&username=${username}`)).json()) as { id: string }[];
  if (user) await adminApi('DELETE', `/users/${user.id}`);
}

describe.skipIf(identity === undefined)('the local identity provider (Keycloak)', () => {
  it('serves the realm discovery document with its issuer and RS256 keys', async () => {
    const response = await fetch(`${identity?.issuer}/.well-known/openid-configuration`);
    const discovery = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(discovery['issuer']).toBe(identity?.issuer);
    expect(discovery['id_token_signing_alg_values_supported']).toContain('RS256');
    expect((await fetch(String(discovery['jwks_uri']))).status).toBe(200);
  });

  it('issues the justice systems a client-credentials token for the justice adapter carrying the ministry JUSTICE', async () => {
    const token = await clientToken(requireIdentity(identity), 'adapter-justice');
    const claims = claimsOf(token);

    expect(claims).toMatchObject({ iss: identity?.issuer, aud: 'adapter-justice', azp: 'adapter-justice', ministry: 'JUSTICE' });
    expect(Number(claims['exp']) - Number(claims['iat'])).toBeLessThanOrEqual(300);
  });

  it('refuses a client with a wrong secret', async () => {
    const response = await tokenRequest(requireIdentity(identity), {
      grant_type: 'client_credentials',
      client_id: 'adapter-justice',
      client_secret: 'not-the-secret',
    });

    expect(response.status).toBe(401);
  });

  it("gives a development user's token the user's role and ministry, audience the view API", async () => {
    const response = await userToken('ministry-health');
    const claims = claimsOf(((await response.json()) as { access_token: string }).access_token);

    expect(claims).toMatchObject({ ministry: 'HEALTH', aud: 'passerelle-view-api', preferred_username: 'ministry-health' });
    expect((claims['realm_access'] as { roles: string[] }).roles).toEqual(['ministry']);
    const analyst = claimsOf(((await (await userToken('analyst')).json()) as { access_token: string }).access_token);
    expect((analyst['realm_access'] as { roles: string[] }).roles).toEqual(['coordination-office']);
    expect(analyst['ministry']).toBeUndefined();
  });

  it('does not let the dashboard client sign a user in with a password', async () => {
    const response = await tokenRequest(requireIdentity(identity), {
      grant_type: 'password',
      client_id: 'passerelle-dashboard',
      username: 'analyst',
      password: identity?.credentials.users['analyst'] ?? '',
    });

    expect(response.status).toBeGreaterThanOrEqual(400);
  });

  it('applies the realm again without touching a user someone changed', async () => {
    const { username, password } = await createUser('kept');
    try {
      if (!identity) throw new Error('no identity');
      const result = await provisionRealm(identity, () => undefined, { development: true });

      expect(result).toMatchObject({ realmCreated: false, usersAdded: 0 });
      expect((await userToken(username, password)).status).toBe(200);
    } finally {
      await deleteUser(username);
    }
  });

  it('provisions a realm without development accounts: no password-grant client, no development user, the ministry systems served', async () => {
    const id = requireIdentity(identity);
    const realm = `passerelle-no-dev-${randomBytes(4).toString('hex')}`;
    const base = loadRealmDocument();
    const admin = await realmAdmin(id, realm);
    try {
      const result = await provisionRealm(id, () => undefined, {
        development: false,
        document: { ...base, realm: { ...base.realm, realm } },
      });

      expect(result).toMatchObject({ realmCreated: true, usersAdded: 0 });
      expect(await (await admin('GET', '/clients?clientId=passerelle-dev-tools')).json()).toEqual([]);
      const users = (await (await admin('GET', '/users?max=1000')).json()) as { username: string }[];
      expect(users.filter((user) => !user.username.startsWith('service-account-'))).toEqual([]);
      const token = await clientToken({ ...id, issuer: `${id.url}/realms/${realm}` }, 'adapter-justice');
      expect(claimsOf(token)).toMatchObject({ aud: 'adapter-justice', ministry: 'JUSTICE' });
      expect(claimsOf(token)['realm_access']).toBeUndefined();
    } finally {
      await admin('DELETE', '');
    }
  });

  // Restarts the shared Keycloak (~20 s): its users live in PostgreSQL, not in the process.
  it('keeps its users across a restart', { timeout: 240_000 }, async () => {
    const { username, password } = await createUser('durable');
    const config = loadStackConfig();
    try {
      await down(config, () => undefined, ['keycloak']);
      const restarted = await up(config, () => undefined, ['keycloak']);

      expect(restarted.started).toEqual(['keycloak']);
      expect((await userToken(username, password)).status).toBe(200);
      expect((await userToken('ministry-health')).status).toBe(200);
    } finally {
      await deleteUser(username);
    }
  });
});
