export { healthAdapter, definition, loadConfig, start } from './adapter.ts';
export type { HealthStartOptions } from './adapter.ts';
/** The FHIR R4 shapes this adapter answers (from @types/fhir), for its clients and tests. */
export type { CapabilityStatement as FhirCapabilityStatement, OperationOutcome as FhirOperationOutcome } from 'fhir/r4.js';
export { CODE_SYSTEMS as FHIR_CODE_SYSTEMS, EXTENSIONS as FHIR_EXTENSIONS } from './domain/fhir-codes.ts';
