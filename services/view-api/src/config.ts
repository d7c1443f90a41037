import { ConfigError, EnvReader, type EnvSource } from '@passerelle/config';
import { readHttpLimits, type HttpLimits } from '@passerelle/http';
import { DEFAULT_DISCLOSURE, unsafeDisclosureSettings, type DisclosureSettings } from './domain/disclosure-control.ts';

export type JwtKeyConfig = { readonly kind: 'jwks'; readonly url: string } | { readonly kind: 'secret'; readonly secret: string };

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
  readonly jwt: { readonly issuer: string; readonly audience: string; readonly key: JwtKeyConfig };
  /** Cell-key perturbation and suppression of every count about people (domain/disclosure-control.ts). */
  readonly disclosure: DisclosureSettings;
  /** The audit's hash chain: HMAC-SHA256 under this key (never stored in the database). */
  readonly audit: { readonly hmacKey: string };
  readonly traceUiUrl: string;
  readonly logLevel: string;
  /** Rate limit and request deadline of the HTTP API; the library defaults when absent. */
  readonly http?: HttpLimits;
}

export const DEFAULT_ISSUER = 'passerelle-dev';

const POSTGRES = ['postgres:', 'postgresql:'];
export const DEFAULT_AUDIENCE = 'passerelle-view-api';

/** Parsed once at start; a bad value stops the process naming every variable to fix. */
export function loadConfig(env: EnvSource): ViewApiConfig {
  const read = new EnvReader(env);
  const jwksUrl = read.optionalString('PASSERELLE_JWT_JWKS_URL');
  const key: JwtKeyConfig = jwksUrl
    ? { kind: 'jwks', url: read.url('PASSERELLE_JWT_JWKS_URL', jwksUrl) }
    : { kind: 'secret', secret: read.requiredString('PASSERELLE_JWT_SECRET', { minLength: 32 }) };
  const databaseUrl = read.requiredUrl('DATABASE_URL', POSTGRES);
  const config: ViewApiConfig = {
    port: read.integer('PORT', 8080, { min: 0, max: 65535 }),
    host: read.string('HOST', '127.0.0.1'),
    databaseUrl,
    migrationDatabaseUrl: read.optionalString('PASSERELLE_MIGRATION_DATABASE_URL') === undefined ? databaseUrl : read.url('PASSERELLE_MIGRATION_DATABASE_URL', '', POSTGRES),
    viewSchema: read.identifier('PASSERELLE_VIEW_SCHEMA', 'view'),
    apiSchema: read.identifier('PASSERELLE_VIEW_API_SCHEMA', 'view_api'),
    jwt: { issuer: read.string('PASSERELLE_JWT_ISSUER', DEFAULT_ISSUER), audience: read.string('PASSERELLE_JWT_AUDIENCE', DEFAULT_AUDIENCE), key },
    disclosure: {
      threshold: read.integer('PASSERELLE_SUPPRESSION_THRESHOLD', DEFAULT_DISCLOSURE.threshold, { min: 0, max: 100 }),
      maxPerturbation: read.integer('PASSERELLE_MAX_PERTURBATION', DEFAULT_DISCLOSURE.maxPerturbation, { min: 0, max: 100 }),
      medianMinimum: read.integer('PASSERELLE_MEDIAN_MINIMUM', DEFAULT_DISCLOSURE.medianMinimum, { min: 0, max: 10_000 }),
      auditBelow: read.integer('PASSERELLE_AUDIT_AGGREGATES_BELOW', DEFAULT_DISCLOSURE.auditBelow, { min: 0, max: 10_000 }),
    },
    audit: { hmacKey: readAuditKey(read) },
    traceUiUrl: read.url('PASSERELLE_TRACE_UI_URL', 'http://127.0.0.1:9411/zipkin/traces/'),
    logLevel: read.oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info'),
    http: readHttpLimits(read),
  };
  read.done();
  const variables: Record<keyof DisclosureSettings, string> = {
    threshold: 'PASSERELLE_SUPPRESSION_THRESHOLD',
    maxPerturbation: 'PASSERELLE_MAX_PERTURBATION',
    medianMinimum: 'PASSERELLE_MEDIAN_MINIMUM',
    auditBelow: 'PASSERELLE_AUDIT_AGGREGATES_BELOW',
  };
  const unsafe = unsafeDisclosureSettings(config.disclosure);
  if (unsafe.length > 0) throw new ConfigError(unsafe.map((p) => ({ variable: variables[p.setting], reason: p.reason })));
  return config;
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
