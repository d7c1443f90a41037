export { start } from './view-api.ts';
export type { RunningViewApi, StartOptions } from './view-api.ts';
export { loadConfig, DEFAULT_AUDIENCE, DEFAULT_ISSUER } from './config.ts';
export type { ViewApiConfig, JwtKeyConfig } from './config.ts';
export { mintDevToken } from './entry-points/dev-tokens.ts';
export { ROLES, MINISTRIES } from './domain/access.ts';
export type { Role, Principal } from './domain/access.ts';
export { suppressTable, DEFAULT_SUPPRESSION_THRESHOLD } from './domain/suppression.ts';
