import { EnvReader, productionProblems, readEnvironment, type Environment, type EnvSource } from '@passerelle/config';
import { KEY_ENCRYPTION_KEY_VARIABLE, keyEncryptionKeyFromEnv, type KeyEncryptionKey } from '@passerelle/contracts';
import { readHttpLimits, readMetricsToken, type HttpLimits } from '@passerelle/http';
import { DEFAULT_DISCLOSURE, unsafeDisclosureSettings, type DisclosureSettings } from './domain/disclosure-control.ts';

import type { AccessTokenSettings } from '@passerelle/http';
import { parsePipelineSources, type PipelineSource } from './domain/pipeline.ts';

/** The shared secret of development tokens (HS256, `npm run view-api -- token`). */
export type JwtKeyConfig = { readonly kind: 'secret'; readonly secret: string };

/** The identity provider whose access tokens the view API accepts, and what the dashboard needs to sign people in there. */
export interface OidcSettings extends AccessTokenSettings {
  readonly maxTokenAgeSeconds: number;
  /** The dashboard's public client (authorization code with PKCE), served to the page at /config.json. */
  readonly dashboardClientId: string;
}

export interface ViewApiConfig {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  /**
   * PASSERELLE_MIGRATION_DATABASE_URL (DATABASE_URL when absent): the migrator role runs the audit's
   * migrations; the view API's own role, on `databaseUrl`, may only read the view and append to the audit.
   */
  readonly migrationDatabaseUrl?: string;
  readonly viewSchema: string;
  readonly apiSchema: string;
  /**
   * PASSERELLE_ENVIRONMENT: in production development tokens are refused, the identity provider is
   * required and the settings of docs/production.md are checked.
   */
  readonly environment: Environment;
  /** The identity provider (PASSERELLE_OIDC_ISSUER): RS256 access tokens, the role from `realm_access.roles`. */
  readonly oidc?: OidcSettings | undefined;
  /** Development tokens (HS256 under PASSERELLE_JWT_SECRET, the `role` claim); never accepted in production. */
  readonly jwt?: { readonly issuer: string; readonly audience: string; readonly key: JwtKeyConfig } | undefined;
  /** Cell-key perturbation and suppression of every count about people (domain/disclosure-control.ts). */
  readonly disclosure: DisclosureSettings;
  /**
   * PASSERELLE_KEY_ENCRYPTION_KEY (required): unwraps the referrals' data keys (the key store is
   * read-only to the view API) to open a sealed subject's pseudonym for a person-level answer.
   */
  readonly keyEncryptionKey: KeyEncryptionKey;
  /** The audit's hash chain: HMAC-SHA256 under this key (never stored in the database). */
  readonly audit: { readonly hmacKey: string };
  readonly traceUiUrl: string;
  /** The services whose /metrics the operator's pipeline page reads (PASSERELLE_PIPELINE_METRICS, `name=url,…`). */
  readonly pipelineSources: readonly PipelineSource[];
  /** Days without a milestone after which an initiative is flagged stale (PASSERELLE_INITIATIVE_STALE_DAYS). */
  readonly initiativeStaleDays: number;
  readonly logLevel: string;
  /** Rate limit and request deadline of the HTTP API; the library defaults when absent. */
  readonly http?: HttpLimits;
  /** The bearer token /metrics asks for (PASSERELLE_METRICS_TOKEN_FILE); open without one, development only. */
  readonly metricsToken?: string | undefined;
}

export const DEFAULT_ISSUER = 'passerelle-dev';

const POSTGRES = ['postgres:', 'postgresql:'];
export const DEFAULT_AUDIENCE = 'passerelle-view-api';
export const DEFAULT_DASHBOARD_CLIENT_ID = 'passerelle-dashboard';
/** Keycloak's access tokens live 5 minutes; a token issued longer ago than this is refused whatever its `exp`. */
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 600;
/** Half a year without news of an initiative: the office asks its lead ministry. */
export const DEFAULT_INITIATIVE_STALE_DAYS = 180;

/** Parsed once at start; a bad value stops the process naming every variable to fix. */
export function loadConfig(env: EnvSource): ViewApiConfig {
  const read = new EnvReader(env);
  const environment = readEnvironment(read);
  const oidc = readOidc(read);
  const devTokens = readDevTokens(read, environment, oidc !== undefined);
  const databaseUrl = read.requiredUrl('DATABASE_URL', POSTGRES);
  const kek = keyEncryptionKeyFromEnv(read.optionalString(KEY_ENCRYPTION_KEY_VARIABLE));
  const config: ViewApiConfig = {
    port: read.integer('PORT', 8080, { min: 0, max: 65535 }),
    host: read.string('HOST', '127.0.0.1'),
    databaseUrl,
    migrationDatabaseUrl:
      read.optionalString('PASSERELLE_MIGRATION_DATABASE_URL') === undefined
        ? databaseUrl
        : read.url('PASSERELLE_MIGRATION_DATABASE_URL', '', POSTGRES),
    viewSchema: read.identifier('PASSERELLE_VIEW_SCHEMA', 'view'),
    apiSchema: read.identifier('PASSERELLE_VIEW_API_SCHEMA', 'view_api'),
    environment,
    oidc,
    jwt: devTokens,
    disclosure: {
      threshold: read.integer('PASSERELLE_SUPPRESSION_THRESHOLD', DEFAULT_DISCLOSURE.threshold, { min: 0, max: 100 }),
      maxPerturbation: read.integer('PASSERELLE_MAX_PERTURBATION', DEFAULT_DISCLOSURE.maxPerturbation, { min: 0, max: 100 }),
      medianMinimum: read.integer('PASSERELLE_MEDIAN_MINIMUM', DEFAULT_DISCLOSURE.medianMinimum, { min: 0, max: 10_000 }),
      auditBelow: read.integer('PASSERELLE_AUDIT_AGGREGATES_BELOW', DEFAULT_DISCLOSURE.auditBelow, { min: 0, max: 10_000 }),
    },
    // Without a valid key, done() below refuses the whole configuration.
    keyEncryptionKey: 'kek' in kek ? kek.kek : (undefined as never),
    audit: { hmacKey: readAuditKey(read) },
    traceUiUrl: read.url('PASSERELLE_TRACE_UI_URL', 'http://127.0.0.1:9411/zipkin/traces/'),
    pipelineSources: readPipelineSources(read),
    initiativeStaleDays: read.integer('PASSERELLE_INITIATIVE_STALE_DAYS', DEFAULT_INITIATIVE_STALE_DAYS, { min: 1, max: 3650 }),
    logLevel: read.oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info'),
    http: readHttpLimits(read),
    metricsToken: readMetricsToken(read),
  };
  if ('problem' in kek) read.reject(kek.problem.variable, kek.problem.reason);
  if (environment === 'production')
    for (const problem of productionProblems({
      databases: { DATABASE_URL: databaseUrl, PASSERELLE_MIGRATION_DATABASE_URL: read.optionalString('PASSERELLE_MIGRATION_DATABASE_URL') },
      identityProvider: { PASSERELLE_OIDC_ISSUER: oidc?.issuer, PASSERELLE_OIDC_JWKS_URL: oidc?.jwksUrl },
      metricsProtected: config.metricsToken !== undefined,
      tokenBearingUrls: { PASSERELLE_PIPELINE_METRICS: config.pipelineSources.map((source) => source.url) },
    }))
      read.reject(problem.variable, problem.reason);
  const variables: Record<keyof DisclosureSettings, string> = {
    threshold: 'PASSERELLE_SUPPRESSION_THRESHOLD',
    maxPerturbation: 'PASSERELLE_MAX_PERTURBATION',
    medianMinimum: 'PASSERELLE_MEDIAN_MINIMUM',
    auditBelow: 'PASSERELLE_AUDIT_AGGREGATES_BELOW',
  };
  for (const problem of unsafeDisclosureSettings(config.disclosure)) read.reject(variables[problem.setting], problem.reason);
  read.done();
  return config;
}

/** PASSERELLE_OIDC_*: absent without an issuer; the JWKS URL defaults to Keycloak's place under the issuer. */
function readOidc(read: EnvReader): OidcSettings | undefined {
  const issuer = read.optionalString('PASSERELLE_OIDC_ISSUER');
  if (issuer === undefined) return undefined;
  return {
    issuer: read.requiredUrl('PASSERELLE_OIDC_ISSUER'),
    jwksUrl: read.url('PASSERELLE_OIDC_JWKS_URL', `${issuer.replace(/\/+$/, '')}/protocol/openid-connect/certs`),
    audience: read.string('PASSERELLE_OIDC_AUDIENCE', DEFAULT_AUDIENCE),
    clockToleranceSeconds: read.integer('PASSERELLE_OIDC_CLOCK_TOLERANCE_S', 30, { min: 0, max: 300 }),
    maxTokenAgeSeconds: read.integer('PASSERELLE_OIDC_MAX_TOKEN_AGE_S', DEFAULT_MAX_TOKEN_AGE_SECONDS, { min: 60, max: 86_400 }),
    dashboardClientId: read.string('PASSERELLE_OIDC_DASHBOARD_CLIENT_ID', DEFAULT_DASHBOARD_CLIENT_ID),
  };
}

/**
 * PASSERELLE_JWT_*: development tokens. In production they are refused outright (a secret set there is
 * a mistake, not a fallback) and the identity provider is required; in development the secret is
 * optional once an issuer is set.
 */
function readDevTokens(read: EnvReader, environment: ViewApiConfig['environment'], hasOidc: boolean): ViewApiConfig['jwt'] {
  if (environment === 'production') {
    if (read.optionalString('PASSERELLE_JWT_SECRET') !== undefined)
      read.reject('PASSERELLE_JWT_SECRET', 'development tokens are refused in production; unset it and use PASSERELLE_OIDC_ISSUER');
    if (!hasOidc) read.reject('PASSERELLE_OIDC_ISSUER', 'is required in production');
    return undefined;
  }
  if (hasOidc && read.optionalString('PASSERELLE_JWT_SECRET') === undefined) return undefined;
  return {
    issuer: read.string('PASSERELLE_JWT_ISSUER', DEFAULT_ISSUER),
    audience: read.string('PASSERELLE_JWT_AUDIENCE', DEFAULT_AUDIENCE),
    key: { kind: 'secret', secret: read.requiredString('PASSERELLE_JWT_SECRET', { minLength: 32 }) },
  };
}

function readPipelineSources(read: EnvReader): PipelineSource[] {
  const value = read.optionalString('PASSERELLE_PIPELINE_METRICS');
  if (value === undefined) return [];
  const parsed = parsePipelineSources(value);
  if ('problem' in parsed) {
    read.reject('PASSERELLE_PIPELINE_METRICS', parsed.problem);
    return [];
  }
  return parsed.sources;
}

/** The key of the audit chain: the view API and `audit verify` read it the same way. */
export function readAuditKey(read: EnvReader): string {
  return read.requiredString('PASSERELLE_AUDIT_HMAC_KEY', { minLength: 32 });
}

/** What `audit verify` needs: where the audit is and the key it was sealed with. */
export interface AuditVerifyConfig {
  readonly databaseUrl: string;
  readonly apiSchema: string;
  readonly hmacKey: string;
}

export function loadAuditVerifyConfig(env: EnvSource): AuditVerifyConfig {
  const read = new EnvReader(env);
  const config: AuditVerifyConfig = {
    databaseUrl: read.requiredUrl('DATABASE_URL', ['postgres:', 'postgresql:']),
    apiSchema: read.identifier('PASSERELLE_VIEW_API_SCHEMA', 'view_api'),
    hmacKey: readAuditKey(read),
  };
  read.done();
  return config;
}
