import { describe, expect, it } from 'vitest';
import { PARTIES, type Party } from '@passerelle/contracts';
import type { KeycloakCredentials } from './keycloak-credentials.ts';
import {
  clientRepresentations,
  credentialNames,
  developmentUsers,
  loadRealmDocument,
  ministryAttribute,
  realmRoleScopes,
  userRepresentations,
} from './keycloak-realm.ts';

const document = loadRealmDocument();

function credentialsFor(parties: readonly Party[]): KeycloakCredentials {
  const names = credentialNames(document, parties);
  return {
    admin: { username: 'admin', password: 'admin-password' },
    clients: Object.fromEntries(names.clients.map((name) => [name, `secret-of-${name}`])),
    users: Object.fromEntries(names.users.map((name) => [name, `password-of-${name}`])),
  };
}

type Client = Record<string, unknown> & {
  clientId: string;
  protocolMappers?: { protocolMapper: string; config: Record<string, string> }[];
};
const development = { development: true };
const clients = clientRepresentations(document, credentialsFor(PARTIES), development) as Client[];
const clientNamed = (id: string): Client => {
  const client = clients.find((c) => c.clientId === id);
  if (!client) throw new Error(`no client ${id}`);
  return client;
};
const mapperConfig = (client: Client, type: string) => client.protocolMappers?.find((m) => m.protocolMapper === type)?.config;

describe('the passerelle realm', () => {
  it('declares the four roles the view API knows', () => {
    expect(document.roles.map((role) => role.name)).toEqual(['coordination-office', 'ministry', 'operator', 'indigenous-partner']);
  });

  it('gives every party of the registry one confidential client-credentials client named after its adapter', () => {
    for (const party of PARTIES) {
      const client = clientNamed(party.adapter.service);
      expect(client).toMatchObject({
        publicClient: false,
        serviceAccountsEnabled: true,
        directAccessGrantsEnabled: false,
        standardFlowEnabled: false,
      });
      expect(client['secret']).toBe(`secret-of-${party.adapter.service}`);
      expect(mapperConfig(client, 'oidc-hardcoded-claim-mapper')).toMatchObject({ 'claim.name': 'ministry', 'claim.value': party.id });
      expect(mapperConfig(client, 'oidc-audience-mapper')).toMatchObject({ 'included.custom.audience': party.adapter.service });
      expect(client['defaultClientScopes']).toEqual([]);
    }
  });

  it('gives a party added to the registry its client, its ministry user and their secrets', () => {
    const added = { ...PARTIES[0]!, id: 'HOUSING', adapter: { ...PARTIES[0]!.adapter, service: 'adapter-housing' } } as Party;
    const parties = [...PARTIES, added];

    expect(credentialNames(document, parties).clients).toContain('adapter-housing');
    expect(clientRepresentations(document, credentialsFor(parties), development, parties).map((c) => c['clientId'])).toContain(
      'adapter-housing',
    );
    expect(developmentUsers(document, parties).some((u) => u.ministry === 'HOUSING')).toBe(true);
    expect(ministryAttribute(document, parties)).toMatchObject({
      validations: { options: { options: [...PARTIES.map((p) => p.id), 'HOUSING'] } },
    });
  });

  it('lets the dashboard sign in as a public client with PKCE S256 and no password grant', () => {
    const dashboard = clientNamed('passerelle-dashboard');
    expect(dashboard).toMatchObject({
      publicClient: true,
      standardFlowEnabled: true,
      directAccessGrantsEnabled: false,
      implicitFlowEnabled: false,
    });
    expect(dashboard['attributes']).toMatchObject({ 'pkce.code.challenge.method': 'S256' });
    expect(dashboard['secret']).toBeUndefined();
    expect(mapperConfig(dashboard, 'oidc-usermodel-realm-role-mapper')).toMatchObject({ 'claim.name': 'realm_access.roles' });
    expect(mapperConfig(dashboard, 'oidc-usermodel-attribute-mapper')).toMatchObject({
      'user.attribute': 'ministry',
      'claim.name': 'ministry',
    });
  });

  it('sends the dashboard back only to exact addresses of the view API, never to a wildcard', () => {
    const dashboard = clientNamed('passerelle-dashboard');
    const attributes = dashboard['attributes'] as Record<string, string>;
    const postLogout = attributes['post.logout.redirect.uris']?.split('##') ?? [];

    expect(dashboard['redirectUris']).toEqual(['http://127.0.0.1:8080/', 'http://localhost:8080/']);
    expect(dashboard['webOrigins']).toEqual(['http://127.0.0.1:8080', 'http://localhost:8080']);
    expect(postLogout).toEqual([
      'http://127.0.0.1:8080/?lang=en',
      'http://127.0.0.1:8080/?lang=fr',
      'http://localhost:8080/?lang=en',
      'http://localhost:8080/?lang=fr',
    ]);
    for (const uri of [...(dashboard['redirectUris'] as string[]), ...(dashboard['webOrigins'] as string[]), ...postLogout])
      expect(uri).not.toMatch(/[*+]/);
  });

  it('gives no client the full scope: people’s tokens carry only the view API’s roles, the ministry systems’ none', () => {
    for (const client of clients) expect(client['fullScopeAllowed'], client.clientId).toBe(false);
    const roles = document.roles.map((role) => role.name);

    expect(realmRoleScopes(document, development)).toEqual([
      { clientId: 'passerelle-dashboard', roles },
      { clientId: 'passerelle-dev-tools', roles },
    ]);
    expect(realmRoleScopes(document, { development: false })).toEqual([{ clientId: 'passerelle-dashboard', roles }]);
  });

  it('sends Keycloak no comment of the file', () => {
    for (const client of clients) expect(client).not.toHaveProperty('$comment');
  });

  it('keeps the development client out of a realm provisioned without development accounts', () => {
    const ids = clientRepresentations(document, credentialsFor(PARTIES), { development: false }).map((c) => c['clientId']);

    expect(ids).not.toContain('passerelle-dev-tools');
    expect(ids).toEqual(['passerelle-dashboard', ...PARTIES.map((p) => p.adapter.service)]);
  });

  it('refuses two users one email address', () => {
    expect(document.realm['duplicateEmailsAllowed']).toBe(false);
  });

  it('keeps access tokens short-lived', () => {
    expect(document.realm['accessTokenLifespan']).toBeLessThanOrEqual(300);
  });

  it('has a development user for each role and a ministry user per party, each with a password of the credentials file', () => {
    const users = developmentUsers(document);
    const roles = document.roles.map((role) => role.name);
    expect(new Set(users.map((u) => u.role))).toEqual(new Set(roles));
    expect(users.filter((u) => u.role === 'ministry').map((u) => u.ministry)).toEqual(PARTIES.map((p) => p.id));
    const representations = userRepresentations(document, credentialsFor(PARTIES));
    expect(representations.find((u) => u['username'] === 'ministry-justice')).toMatchObject({
      realmRoles: ['ministry'],
      attributes: { ministry: ['JUSTICE'] },
      credentials: [{ type: 'password', value: 'password-of-ministry-justice', temporary: false }],
    });
  });
});
