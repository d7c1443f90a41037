import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  fullNameOf,
  fullNameOfDefinition,
  isNamedType,
  isPrimitiveName,
  isRecord,
  namespaceOfFullName,
  shortNameOf,
  type AvroField,
  type AvroNamedType,
  type AvroRecord,
  type AvroType,
} from './avro-types.ts';

export const SCHEMAS_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const AVRO_DIR = path.join(SCHEMAS_ROOT, 'avro');

/** The fully-qualified name of the record every event starts with. */
export const ENVELOPE_TYPE_NAME = 'ca.on.passerelle.v1.Envelope';

export class SchemaSetError extends Error {
  readonly code = 'INVALID_SCHEMA_SET';

  constructor(readonly problems: readonly string[]) {
    super(`invalid Avro schemas:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SchemaSetError';
  }
}

/** One named type and where it is defined. */
export interface NamedTypeDefinition {
  readonly fullName: string;
  readonly file: string;
  readonly definition: AvroNamedType;
}

/** An event: a record whose first field is the envelope. */
export interface EventSchema {
  /** The record's short name, which is also the event type's name, e.g. `ReferralCreated`. */
  readonly name: string;
  readonly fullName: string;
  readonly file: string;
  readonly definition: AvroRecord;
  /** Self-contained: every named type it uses is defined inline at first use. */
  readonly bundled: AvroRecord;
}

export interface AvroSource {
  /** Base name, e.g. `referral-created.avsc`. */
  readonly file: string;
  readonly text: string;
}

export interface SchemaSet {
  /** The top-level type of each file, by file name. */
  readonly files: ReadonlyMap<string, AvroNamedType>;
  /** Every named type, including those defined inline, by full name. */
  readonly named: ReadonlyMap<string, NamedTypeDefinition>;
  /** The events, sorted by name. */
  readonly events: readonly EventSchema[];
  bundle(fullName: string): AvroNamedType;
}

function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** Reads every `.avsc` file of a folder (schemas/avro by default). */
export function readAvroSources(dir: string = AVRO_DIR): AvroSource[] {
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.avsc'))
    .sort()
    .map((file) => ({ file, text: fs.readFileSync(path.join(dir, file), 'utf8') }));
}

/** Loads schemas/avro (or another folder): the one source of truth for every event contract. */
export function loadSchemaSet(dir: string = AVRO_DIR): SchemaSet {
  return buildSchemaSet(readAvroSources(dir));
}

/**
 * Parses and cross-checks a set of `.avsc` sources: one top-level named type per file, the
 * file named after the type in kebab case, every reference resolvable, no name defined twice.
 */
export function buildSchemaSet(sources: readonly AvroSource[]): SchemaSet {
  const problems: string[] = [];
  const files = new Map<string, AvroNamedType>();
  const named = new Map<string, NamedTypeDefinition>();

  const collect = (type: AvroType, namespace: string | undefined, file: string): void => {
    if (typeof type === 'string') return;
    if (Array.isArray(type)) {
      for (const branch of type as readonly AvroType[]) collect(branch, namespace, file);
      return;
    }
    const complex = type as Exclude<AvroType, string | readonly AvroType[]>;
    if (isNamedType(complex)) {
      const fullName = fullNameOfDefinition(complex, namespace);
      const existing = named.get(fullName);
      if (existing) problems.push(`${fullName} is defined in both ${existing.file} and ${file}`);
      else named.set(fullName, { fullName, file, definition: complex });
      if (isRecord(complex)) {
        for (const field of complex.fields) collect(field.type, namespaceOfFullName(fullName), file);
      }
      return;
    }
    if (complex.type === 'array') collect(complex.items, namespace, file);
    if (complex.type === 'map') collect(complex.values, namespace, file);
  };

  for (const { file, text } of sources) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      problems.push(`${file} is not valid JSON: ${(error as Error).message}`);
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !isNamedType(parsed as AvroType)) {
      problems.push(`${file} must hold one named type (record, enum or fixed)`);
      continue;
    }
    const definition = parsed as AvroNamedType;
    const expected = `${kebabCase(shortNameOf(fullNameOfDefinition(definition, undefined)))}.avsc`;
    if (file !== expected) problems.push(`${file} defines ${definition.name}, so it must be named ${expected}`);
    files.set(file, definition);
    collect(definition, undefined, file);
  }

  const bundle = (fullName: string): AvroNamedType => {
    const root = named.get(fullName);
    if (!root) throw new SchemaSetError([`no schema defines ${fullName}`]);
    const defined = new Set<string>();
    const visit = (type: AvroType, namespace: string | undefined, where: string): AvroType => {
      if (typeof type === 'string') {
        if (isPrimitiveName(type)) return type;
        const full = fullNameOf(type, namespace);
        if (defined.has(full)) return full;
        const target = named.get(full);
        if (!target) throw new SchemaSetError([`${where} refers to ${full}, which no .avsc file defines`]);
        return visit(target.definition, namespaceOfFullName(target.fullName), where);
      }
      if (Array.isArray(type)) return (type as readonly AvroType[]).map((branch) => visit(branch, namespace, where));
      const complex = type as Exclude<AvroType, string | readonly AvroType[]>;
      if (isNamedType(complex)) {
        const full = fullNameOfDefinition(complex, namespace);
        if (defined.has(full)) return full;
        defined.add(full);
        const explicit = { ...complex, name: shortNameOf(full), namespace: namespaceOfFullName(full) ?? '' };
        if (!isRecord(complex)) return explicit as AvroType;
        const fields: AvroField[] = complex.fields.map((field) => ({
          ...field,
          type: visit(field.type, namespaceOfFullName(full), `${full}.${field.name}`),
        }));
        return { ...explicit, fields } as AvroRecord;
      }
      if (complex.type === 'array') return { ...complex, items: visit(complex.items, namespace, where) };
      if (complex.type === 'map') return { ...complex, values: visit(complex.values, namespace, where) };
      return complex;
    };
    return visit(root.definition, undefined, fullName) as AvroNamedType;
  };

  const events: EventSchema[] = [];
  for (const [file, definition] of files) {
    if (!isRecord(definition)) continue;
    const first = definition.fields[0];
    const fullName = fullNameOfDefinition(definition, undefined);
    if (!first || first.name !== 'envelope') continue;
    if (typeof first.type !== 'string' || fullNameOf(first.type, namespaceOfFullName(fullName)) !== ENVELOPE_TYPE_NAME) {
      problems.push(`${file}: the envelope field must have type ${ENVELOPE_TYPE_NAME}`);
      continue;
    }
    try {
      events.push({ name: shortNameOf(fullName), fullName, file, definition, bundled: bundle(fullName) as AvroRecord });
    } catch (error) {
      if (error instanceof SchemaSetError) problems.push(...error.problems);
      else throw error;
    }
  }
  for (const fullName of named.keys()) {
    try {
      bundle(fullName);
    } catch (error) {
      if (error instanceof SchemaSetError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new SchemaSetError([...new Set(problems)]);
  events.sort((a, b) => a.name.localeCompare(b.name));
  return { files, named, events, bundle };
}
