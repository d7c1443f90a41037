export { start } from './view-api.ts';
export { migrateViewApi } from './data-access/audit.migrations.ts';
export type { RunningViewApi, StartOptions } from './view-api.ts';
export {
  loadConfig,
  DEFAULT_AUDIENCE,
  DEFAULT_DASHBOARD_CLIENT_ID,
  DEFAULT_ISSUER,
  DEFAULT_INITIATIVE_STALE_DAYS,
  DEFAULT_MAX_TOKEN_AGE_SECONDS,
} from './config.ts';
export type { JwtKeyConfig, OidcSettings, ViewApiConfig } from './config.ts';
export { mintDevToken } from './entry-points/dev-tokens.ts';
export { ROLES, MINISTRIES } from './domain/access.ts';
export type { Role, Principal } from './domain/access.ts';
export {
  CELL_KEY_MODULUS,
  DEFAULT_DISCLOSURE,
  perturbationOf,
  perturbationTable,
  publishCount,
  publishMedian,
  unsafeDisclosureSettings,
} from './domain/disclosure-control.ts';
export type { DisclosureSettings, PerturbationTable, PublishedCount, KeyedCount } from './domain/disclosure-control.ts';
export { ViewRepository } from './data-access/view.repository.ts';
export { GENESIS_HASH, auditSeal } from './domain/audit-chain.ts';
export type { AuditContent, AuditHead } from './domain/audit-chain.ts';
export { visibleConsentScopes } from './domain/access.ts';
