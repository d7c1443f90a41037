import type { AvroType } from '@passerelle/schemas';
import { createCodecs, type EventCodec } from './avro-codec.ts';
import { explainIncompatibility, fullCompatibilityProblems } from './avro-compatibility.ts';
import { IncompatibleSchemaError, SchemaNotRegisteredError } from './errors.ts';
import type { EventType } from './event-types.ts';
import type { CompatibilityLevel, RegistryClient } from './registry-client.ts';
import { subjectOf } from './subject-naming.ts';

/**
 * Every event subject evolves under FULL_TRANSITIVE: a new version must be readable by, and
 * able to read, every earlier version. Consumers replay topics from the start and producers
 * in four ministries upgrade on their own schedules, so neither side can be assumed current.
 */
export const REQUIRED_COMPATIBILITY: CompatibilityLevel = 'FULL_TRANSITIVE';

export interface RegistrationOptions {
  readonly subjectPrefix?: string;
  readonly codecs?: ReadonlyMap<EventType, EventCodec>;
  readonly log?: (message: string) => void;
}

export interface RegistrationResult {
  readonly subject: string;
  readonly schemaId: number;
  /** `registered`: a new version was added; `unchanged`: the schema was already the subject's. */
  readonly outcome: 'registered' | 'unchanged';
}

export type CompatibilityStatus = 'new-subject' | 'unchanged' | 'compatible' | 'incompatible';

export interface CompatibilityReport {
  readonly subject: string;
  readonly status: CompatibilityStatus;
  /** Why the schema cannot be registered; empty unless incompatible. */
  readonly reasons: readonly string[];
  /** Where local analysis disagrees with a verdict of "compatible" (the verdict stands). */
  readonly warnings: readonly string[];
}

/** Local explanation of why `schema` breaks FULL compatibility with the subject's versions. */
async function localReasons(client: RegistryClient, subject: string, schema: AvroType): Promise<string[]> {
  const reasons: string[] = [];
  for (const version of await client.versionsOf(subject)) {
    const { schema: old } = await client.schemaOfVersion(subject, version);
    for (const problem of fullCompatibilityProblems(schema, old)) reasons.push(explainIncompatibility(problem, `version ${version}`));
  }
  return reasons;
}

async function isRegistered(client: RegistryClient, subject: string, schema: AvroType): Promise<number | undefined> {
  try {
    return await client.idOf(subject, schema);
  } catch (error) {
    if (error instanceof SchemaNotRegisteredError) return undefined;
    throw error;
  }
}

/**
 * Sets the subject's compatibility to FULL_TRANSITIVE and registers the schema. Idempotent:
 * an already registered schema keeps its id and adds no version. An incompatible schema
 * throws IncompatibleSchemaError with the registry's message and the local reasons.
 */
export async function registerSchema(client: RegistryClient, subject: string, schema: AvroType): Promise<RegistrationResult> {
  if ((await client.compatibilityOf(subject)) !== REQUIRED_COMPATIBILITY) await client.setCompatibility(subject, REQUIRED_COMPATIBILITY);
  const existing = await isRegistered(client, subject, schema);
  if (existing !== undefined) return { subject, schemaId: existing, outcome: 'unchanged' };
  try {
    return { subject, schemaId: await client.register(subject, schema, REQUIRED_COMPATIBILITY), outcome: 'registered' };
  } catch (error) {
    if (!(error instanceof IncompatibleSchemaError)) throw error;
    const reasons = await localReasons(client, subject, schema);
    throw new IncompatibleSchemaError(subject, [...reasons, `registry: ${error.reasons.join('; ')}`], { cause: error });
  }
}

/** Registers every event schema under its RecordNameStrategy subject. */
export async function registerAll(client: RegistryClient, options: RegistrationOptions = {}): Promise<RegistrationResult[]> {
  const results: RegistrationResult[] = [];
  for (const codec of (options.codecs ?? createCodecs()).values()) {
    const result = await registerSchema(client, subjectOf(codec.recordName, options.subjectPrefix), codec.schema);
    options.log?.(
      `${result.subject}: ${result.outcome === 'registered' ? 'registered as' : 'already registered as'} schema id ${result.schemaId}`,
    );
    results.push(result);
  }
  return results;
}

/**
 * Asks the registry whether `schema` could be registered under `subject` and, when it could
 * not, says why. The verdict is the registry's, under the subject's compatibility level;
 * the reasons are the registry's messages when it gives any, else computed locally. A subject
 * whose level is not FULL_TRANSITIVE is reported incompatible too, since its verdicts are weaker.
 */
export async function checkCompatibility(client: RegistryClient, subject: string, schema: AvroType): Promise<CompatibilityReport> {
  const versions = await client.versionsOf(subject);
  if (versions.length === 0) return { subject, status: 'new-subject', reasons: [], warnings: [] };
  const reasons: string[] = [];
  const level = await client.compatibilityOf(subject);
  if (level !== REQUIRED_COMPATIBILITY) {
    reasons.push(
      `compatibility level is ${level ?? 'unset'}, expected ${REQUIRED_COMPATIBILITY} (run \`npm run infra -- schemas register\`)`,
    );
  }
  if ((await isRegistered(client, subject, schema)) !== undefined)
    return { subject, status: reasons.length > 0 ? 'incompatible' : 'unchanged', reasons, warnings: [] };

  const verdict = await client.testCompatibility(subject, schema);
  const local = await localReasons(client, subject, schema);
  if (!verdict.compatible) {
    if (verdict.messages.length > 0) reasons.push(...verdict.messages.map((message) => `registry: ${message}`));
    else if (local.length > 0) reasons.push(...local);
    else reasons.push('the registry rejected the schema without giving a reason, and local analysis found none');
  }
  const warnings = verdict.compatible ? local.map((reason) => `the registry accepts this, but local analysis finds: ${reason}`) : [];
  return { subject, status: reasons.length > 0 ? 'incompatible' : 'compatible', reasons, warnings };
}

/** Checks every local event schema against its subject in the registry. */
export async function checkAll(client: RegistryClient, options: RegistrationOptions = {}): Promise<CompatibilityReport[]> {
  const reports: CompatibilityReport[] = [];
  for (const codec of (options.codecs ?? createCodecs()).values()) {
    reports.push(await checkCompatibility(client, subjectOf(codec.recordName, options.subjectPrefix), codec.schema));
  }
  return reports;
}
