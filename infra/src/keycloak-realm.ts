import fs from 'node:fs';
import path from 'node:path';
import { adapterNameOf, PARTIES, type Party } from '@passerelle/contracts';
import { REPO_ROOT } from './config.ts';
import { StackError } from './errors.ts';
import type { KeycloakCredentials } from './keycloak-credentials.ts';

export const REALM_FILE = path.join(REPO_ROOT, 'infra', 'keycloak', 'passerelle-realm.json');

type Json = Record<string, unknown>;

interface DevelopmentUser {
  readonly username?: string;
  readonly role: string;
  readonly perParty?: boolean;
  readonly firstName: string;
  readonly lastName: string;
}

/** infra/keycloak/passerelle-realm.json: the realm's settings, roles, mappers and client templates. */
export interface RealmDocument {
  readonly realm: Json & { readonly realm: string };
  readonly roles: readonly { readonly name: string; readonly description: string }[];
  readonly ministryAttribute: Json & { readonly name: string };
  readonly userMappers: readonly Json[];
  readonly dashboardClient: Json & { readonly clientId: string };
  readonly developmentClient: Json & { readonly clientId: string };
  readonly ministryClient: Json;
  readonly developmentUsers: readonly DevelopmentUser[];
}

export function loadRealmDocument(file: string = REALM_FILE): RealmDocument {
  const document = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<RealmDocument>;
  const missing = (
    [
      'realm',
      'roles',
      'ministryAttribute',
      'userMappers',
      'dashboardClient',
      'developmentClient',
      'ministryClient',
      'developmentUsers',
    ] as const
  ).filter((key) => document[key] === undefined);
  if (missing.length > 0) throw new StackError('INVALID_REALM_FILE', `${file} lacks ${missing.join(', ')}`);
  return document as RealmDocument;
}

/** A ministry system's client id, which is also the audience its adapter demands: the adapter's service name. */
export function ministryClientId(party: Pick<Party, 'adapter'>): string {
  return party.adapter.service;
}

/** The development user of a party's ministry staff. */
function ministryUsername(party: Pick<Party, 'adapter'>): string {
  return `ministry-${adapterNameOf(party)}`;
}

export interface PlannedUser {
  readonly username: string;
  readonly role: string;
  readonly ministry?: string;
  readonly firstName: string;
  readonly lastName: string;
}

/** One user per role, and one ministry user per party. */
export function developmentUsers(document: RealmDocument, parties: readonly Party[] = PARTIES): PlannedUser[] {
  return document.developmentUsers.flatMap((user): PlannedUser[] =>
    user.perParty
      ? parties.map((party) => ({
          username: ministryUsername(party),
          role: user.role,
          ministry: party.id,
          firstName: user.firstName,
          lastName: party.displayName.en,
        }))
      : [{ username: user.username ?? user.role, role: user.role, firstName: user.firstName, lastName: user.lastName }],
  );
}

/** The names the credentials file holds a secret for. */
export function credentialNames(document: RealmDocument, parties: readonly Party[] = PARTIES): { clients: string[]; users: string[] } {
  return {
    clients: [...parties.map(ministryClientId), document.developmentClient.clientId],
    users: developmentUsers(document, parties).map((user) => user.username),
  };
}

function hardcodedClaim(name: string, value: string): Json {
  return {
    name: `${name} (fixed)`,
    protocol: 'openid-connect',
    protocolMapper: 'oidc-hardcoded-claim-mapper',
    config: {
      'claim.name': name,
      'claim.value': value,
      'jsonType.label': 'String',
      'access.token.claim': 'true',
      'introspection.token.claim': 'true',
    },
  };
}

function audience(clientId: string): Json {
  return {
    name: 'audience',
    protocol: 'openid-connect',
    protocolMapper: 'oidc-audience-mapper',
    config: { 'included.custom.audience': clientId, 'access.token.claim': 'true', 'introspection.token.claim': 'true' },
  };
}

function secretOf(credentials: KeycloakCredentials, clientId: string): string {
  const secret = credentials.clients[clientId];
  if (!secret) throw new StackError('INVALID_KEYCLOAK_CREDENTIALS', `no secret for client ${clientId} in the Keycloak credentials`);
  return secret;
}

/** What a provisioning imports besides the realm, its clients and its ministry systems. */
export interface RealmImportOptions {
  /**
   * The local stack's development accounts: the password-grant client `passerelle-dev-tools` and
   * the development users. Never for a realm that real people sign in to.
   */
  readonly development: boolean;
}

/**
 * Every client of the realm. Mappers sit on the clients themselves and no client scope is
 * attached, so a token carries exactly the claims listed here (no `account` audience, no
 * profile claims a ministry system does not need). No client has the full scope
 * (`fullScopeAllowed` false in the file): the realm roles a token may carry are the client's
 * role scope ({@link realmRoleScopes}).
 */
export function clientRepresentations(
  document: RealmDocument,
  credentials: KeycloakCredentials,
  options: RealmImportOptions,
  parties: readonly Party[] = PARTIES,
): Json[] {
  const noScopes = { defaultClientScopes: [], optionalClientScopes: [] };
  const ministries = parties.map((party) => {
    const clientId = ministryClientId(party);
    return {
      ...document.ministryClient,
      clientId,
      name: `${party.displayName.en} systems`,
      description: `The ${party.displayName.en} systems posting to ${clientId} (client credentials)`,
      secret: secretOf(credentials, clientId),
      protocolMappers: [
        hardcodedClaim('ministry', party.id),
        audience(clientId),
        document.userMappers.find((m) => m['name'] === 'sub'),
      ].filter((mapper) => mapper !== undefined),
      ...noScopes,
    };
  });
  const development = options.development
    ? [
        {
          ...document.developmentClient,
          secret: secretOf(credentials, document.developmentClient.clientId),
          protocolMappers: document.userMappers,
          ...noScopes,
        },
      ]
    : [];
  return [{ ...document.dashboardClient, protocolMappers: document.userMappers, ...noScopes }, ...development, ...ministries].map(
    (client) => JSON.parse(JSON.stringify({ ...client, $comment: undefined })) as Json,
  );
}

/**
 * The realm roles each client's tokens may carry in `realm_access.roles`: the clients people sign
 * in through carry the view API's roles (the user's own among them); the ministry systems' carry
 * none (their `ministry` claim and audience are fixed mappers, not roles).
 */
export function realmRoleScopes(document: RealmDocument, options: RealmImportOptions): { clientId: string; roles: string[] }[] {
  const roles = document.roles.map((role) => role.name);
  return [document.dashboardClient, ...(options.development ? [document.developmentClient] : [])].map((client) => ({
    clientId: client.clientId,
    roles,
  }));
}

export function userRepresentations(
  document: RealmDocument,
  credentials: KeycloakCredentials,
  parties: readonly Party[] = PARTIES,
): Json[] {
  return developmentUsers(document, parties).map((user) => {
    const password = credentials.users[user.username];
    if (!password) throw new StackError('INVALID_KEYCLOAK_CREDENTIALS', `no password for development user ${user.username}`);
    return {
      username: user.username,
      enabled: true,
      firstName: user.firstName,
      lastName: user.lastName,
      email: `${user.username}@passerelle.invalid`,
      emailVerified: true,
      realmRoles: [user.role],
      ...(user.ministry ? { attributes: { [document.ministryAttribute.name]: [user.ministry] } } : {}),
      credentials: [{ type: 'password', value: password, temporary: false }],
    };
  });
}

/**
 * The service-account users of the ministry clients: an import (unlike the admin console) does
 * not make them, and a client-credentials grant needs one. Overwriting a client removes its
 * service account, so they are imported after the clients, every time.
 */
export function serviceAccountUsers(parties: readonly Party[] = PARTIES): Json[] {
  return parties.map((party) => ({
    username: `service-account-${ministryClientId(party)}`,
    enabled: true,
    serviceAccountClientId: ministryClientId(party),
  }));
}

/** The `ministry` user attribute of the declarative user profile, its values limited to the parties' ids. */
export function ministryAttribute(document: RealmDocument, parties: readonly Party[] = PARTIES): Json {
  return { ...document.ministryAttribute, validations: { options: { options: parties.map((party) => party.id) } } };
}
