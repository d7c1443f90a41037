import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import type { EventType } from '@passerelle/contracts';
import type { CsvBatchSpec } from './csv-batch.ts';

/** A JSON body: the media types the route reads and the zod schema it validates with. */
export interface JsonBodyContract<S extends z.ZodType = z.ZodType> {
  readonly kind: 'json';
  readonly mediaTypes: readonly string[];
  readonly schema: S;
}

/** A CSV batch: the columns and the row schema parseCsvBatch validates with. */
export interface CsvBodyContract<S extends z.ZodType = z.ZodType> {
  readonly kind: 'csv';
  readonly spec: CsvBatchSpec<S>;
}

/**
 * One POST route as the adapter mounts it and as its OpenAPI document describes it. The route
 * handler reads its path and schema from here, so the document cannot describe another shape than
 * the one validated.
 */
export interface RouteContract<B extends JsonBodyContract | CsvBodyContract = JsonBodyContract | CsvBodyContract> {
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly body: B;
  /** The canonical events an accepted request becomes. */
  readonly events: readonly EventType[];
  /** Fixture files, sent as they are in the document's examples; each is accepted (202). */
  readonly examples: readonly URL[];
  /** Why the route answers 403 beyond a token of another ministry, when it does. */
  readonly forbiddenWhen?: string;
}

/**
 * A route other than an acceptance POST: a read, or an operation that writes nothing (FHIR's
 * `$validate`). The service mounts it from here and the OpenAPI document describes it from here.
 */
export interface OperationContract {
  readonly method: 'get' | 'post';
  /** Express pattern; a `:name` parameter is documented as `{name}` with the values of `parameters`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** Served without a credential: mounted before the credential check (`AdapterDefinition.publicRoutes`). */
  readonly public: boolean;
  /** Media types of the 200 answer. */
  readonly answers: readonly string[];
  /** What a POST reads: media types and the zod schema. */
  readonly body?: JsonBodyContract;
  /** The values each path parameter may take. */
  readonly parameters?: Readonly<Record<string, readonly string[]>>;
}

export const JSON_MEDIA_TYPES = ['application/json'] as const;

export function jsonContract<S extends z.ZodType>(
  contract: Omit<RouteContract, 'body'> & { readonly schema: S; readonly mediaTypes?: readonly string[] },
): RouteContract<JsonBodyContract<S>> {
  const { schema, mediaTypes = JSON_MEDIA_TYPES, ...rest } = contract;
  return { ...rest, body: { kind: 'json', mediaTypes, schema } };
}

export function csvContract<S extends z.ZodType>(
  contract: Omit<RouteContract, 'body'> & { readonly spec: CsvBatchSpec<S> },
): RouteContract<CsvBodyContract<S>> {
  const { spec, ...rest } = contract;
  return { ...rest, body: { kind: 'csv', spec } };
}

/** A fixture of a route's examples, by file: its name in the document, and its text. */
export interface ExampleFixture {
  readonly name: string;
  readonly text: string;
}

export function readExample(file: URL): ExampleFixture {
  return { name: basename(fileURLToPath(file)).replace(/\.[a-z]+$/, ''), text: readFileSync(file, 'utf8') };
}

/** The fixture `name` of a folder as a one-item list, or none when the folder has no such file. */
export function exampleIn(folder: URL, name: string): URL[] {
  const file = new URL(name, folder);
  return existsSync(file) ? [file] : [];
}
