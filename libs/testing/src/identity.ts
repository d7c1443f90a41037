import type { TestIdentity } from './test-stack.ts';

/** The identity provider of the run; throws when the run has none (PASSERELLE_TEST_KEYCLOAK=off). */
export function requireIdentity(identity: TestIdentity | undefined): TestIdentity {
  if (!identity) throw new Error('this spec needs Keycloak: the test stack was started without it (PASSERELLE_TEST_KEYCLOAK=off?)');
  return identity;
}

/** POSTs a form to the realm's token endpoint. */
export function tokenRequest(identity: TestIdentity, form: Record<string, string>): Promise<Response> {
  return fetch(`${identity.issuer}/protocol/openid-connect/token`, { method: 'POST', body: new URLSearchParams(form) });
}

/** A client-credentials access token; the secret defaults to the one `infra` generated for the client. */
export async function clientToken(
  identity: TestIdentity,
  clientId: string,
  secret = identity.credentials.clients[clientId],
): Promise<string> {
  const response = await tokenRequest(identity, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret ?? '' });
  if (!response.ok) throw new Error(`no token for client ${clientId}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/**
 * A development user's access token through the password grant of `passerelle-dev-tools` (a client of
 * the local stack only); the password defaults to the one `infra` generated for the user.
 */
export async function userToken(
  identity: TestIdentity,
  username: string,
  password = identity.credentials.users[username],
): Promise<string> {
  const client = 'passerelle-dev-tools';
  const response = await tokenRequest(identity, {
    grant_type: 'password',
    client_id: client,
    client_secret: identity.credentials.clients[client] ?? '',
    username,
    password: password ?? '',
  });
  if (!response.ok) throw new Error(`no token for user ${username}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** The claims of a JWT, unverified: for assertions on what a provider issued. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Calls the admin REST API of a realm, by default `passerelle`, as the bootstrap administrator. */
export async function realmAdmin(
  identity: TestIdentity,
  realm = 'passerelle',
): Promise<(method: string, route: string, body?: unknown) => Promise<Response>> {
  const { admin } = identity.credentials;
  const response = await fetch(`${identity.url}/realms/master/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username: admin.username, password: admin.password }),
  });
  if (!response.ok) throw new Error(`the Keycloak admin sign-in failed: ${response.status}`);
  const { access_token: token } = (await response.json()) as { access_token: string };
  return (method, route, body) =>
    fetch(`${identity.url}/admin/realms/${realm}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}
