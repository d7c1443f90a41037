export { adapterPartyOf, loadAdapterConfig, MIN_SECRET_LENGTH } from './adapter-config.ts';
export type { AdapterConfig, AdapterConfigDefaults } from './adapter-config.ts';
export { Pseudonymiser } from './pseudonymiser.ts';
export { requireBearerToken, requireMinistryCredential } from './bearer-auth.ts';
export type { MinistryCredentialOptions } from './bearer-auth.ts';
export { accessTokenVerifier } from './access-token.ts';
export type { AccessTokenCheck, AccessTokenVerifier, OAuthSettings } from './access-token.ts';
export { jsonBody, csvBody, jsonDepth, MAX_JSON_DEPTH } from './request-body.ts';
export { parseNative, fieldProblemsOf, fieldPath, whenObject } from './field-problems.ts';
export { parseCsvBatch } from './csv-batch.ts';
export type { CsvBatchSpec, CsvRow } from './csv-batch.ts';
export { canonicalJson } from './canonical-json.ts';
export { currentTraceContext, makeEnvelope, SCHEMA_VERSION } from './canonical-event.ts';
export type { CanonicalEvent, MappingContext, TraceContext } from './canonical-event.ts';
export { Acceptance, acceptedEvent } from './acceptance.ts';
export type { AcceptanceBody, AcceptanceRequest, AcceptanceResult, AcceptedEvent, IdAllocator, NativeRecord } from './acceptance.ts';
export { IDEMPOTENCY_TABLE, SOURCE_IDS_TABLE, acceptanceMigrations } from './acceptance.migrations.ts';
export {
  instant,
  dateOrInstant,
  birthDate,
  withinTimeWindow,
  sourceId,
  passerelleId,
  lowerCodeOf,
  droppedText,
  optionalFlag,
  csvFlag,
  isRealCalendarDay,
} from './native-fields.ts';
export { populationFlagsSchema, toPopulationFlags, NO_FLAGS } from './common/population-flags.schema.ts';
export type { NativePopulationFlags } from './common/population-flags.schema.ts';
export { serviceGapReportSchema, serviceGapResolutionSchema } from './common/service-gap.schema.ts';
export type { ServiceGapReport, ServiceGapResolution } from './common/service-gap.schema.ts';
export { mapServiceGapReport, mapServiceGapResolution, gapSourceId } from './common/service-gap.mapper.ts';
export { initiativeMilestoneSchema } from './common/initiative-milestone.schema.ts';
export type { InitiativeMilestone } from './common/initiative-milestone.schema.ts';
export { mapInitiativeMilestone, checkLeadership, milestoneSourceKey } from './common/initiative-milestone.mapper.ts';
export { startAdapter, migrateAdapter, adapterContracts, JSON_BODY_LIMIT, CSV_BODY_LIMIT } from './adapter-service.ts';
export { csvContract, exampleIn, jsonContract, readExample, JSON_MEDIA_TYPES } from './route-contract.ts';
export type { CsvBodyContract, ExampleFixture, JsonBodyContract, OperationContract, RouteContract } from './route-contract.ts';
export { ADAPTER_API_VERSION, PROBLEM_TYPE_BASE_PATH, buildAdapterOpenApi, requestSchemaOf } from './openapi.ts';
export type { AdapterOpenApiOptions, OpenApiSecurity } from './openapi.ts';
export { commonContracts, commonContractList } from './common/common.contracts.ts';
export type { CommonContracts, CommonRoutes } from './common/common.contracts.ts';
export type { AdapterDefinition, AdapterKit, RunningAdapter, StartOptions } from './adapter-service.ts';
export { defineAdapter } from './adapter-module.ts';
export type { AdapterFeatures, AdapterModule } from './adapter-module.ts';
export { referralStatusChangeSchema, consentWithdrawalSchema } from './common/referral-lifecycle.schema.ts';
export {
  mapStatusChange,
  mapConsentWithdrawal,
  referralSourceId,
  defaultReason,
  statusChangeContent,
  consentWithdrawalContent,
  statusSourceKey,
  consentSourceKey,
} from './common/referral-lifecycle.mapper.ts';
export type { StatusChange } from './common/referral-lifecycle.mapper.ts';
