import avro from 'avsc';
import type { Type } from 'avsc';
import {
  fullNameOf,
  fullNameOfDefinition,
  isNamedType,
  isPrimitiveName,
  isRecord,
  loadSchemaSet,
  namespaceOfFullName,
  type AvroRecord,
  type AvroType,
  type SchemaSet,
} from '@passerelle/schemas';
import { eventTypeOfRecord, type EventType } from './event-types.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Unions stay unwrapped (`null | Ministry`, not `{ "ca.on…Ministry": … }`), which is what the
 * generated types promise; avsc refuses a union it could not decode unwrapped. A new object
 * each time: avsc stores its registry of named types in the options it is given.
 */
export function avscOptions(): { wrapUnions: false } {
  return { wrapUnions: false };
}

type Check = (value: unknown, path: string, issues: string[]) => void;

/**
 * Checks what Avro cannot express: `logicalType: uuid` strings must be UUIDs, and strings with
 * Passerelle's `pattern` property must match it. That is how a string field stays coded:
 * a name or a note typed into an id or pseudonym field is refused. Issues never quote the value.
 */
function compilePatternChecks(schema: AvroType): Check {
  const named = new Map<string, Check>();
  const compile = (type: AvroType, namespace: string | undefined): Check => {
    if (typeof type === 'string') {
      if (isPrimitiveName(type)) return () => {};
      const full = fullNameOf(type, namespace);
      return (value, path, issues) => named.get(full)?.(value, path, issues);
    }
    if (Array.isArray(type)) {
      const branches = (type as readonly AvroType[]).filter((branch) => branch !== 'null').map((branch) => compile(branch, namespace));
      // Only `null | X` unions are used; with several non-null branches avsc's own check suffices.
      const only = branches.length === 1 ? branches[0] : undefined;
      return (value, path, issues) => {
        if (value !== null && value !== undefined) only?.(value, path, issues);
      };
    }
    const complex = type as Exclude<AvroType, string | readonly AvroType[]>;
    if (isNamedType(complex)) {
      const full = fullNameOfDefinition(complex, namespace);
      let check: Check = () => {};
      if (isRecord(complex)) {
        const fields = complex.fields.map((field) => ({ name: field.name, check: compile(field.type, namespaceOfFullName(full)) }));
        check = (value, path, issues) => {
          if (typeof value !== 'object' || value === null) return;
          for (const field of fields) field.check((value as Record<string, unknown>)[field.name], `${path}.${field.name}`, issues);
        };
      }
      named.set(full, check);
      return check;
    }
    switch (complex.type) {
      case 'array': {
        const items = compile(complex.items, namespace);
        return (value, path, issues) => {
          if (Array.isArray(value)) value.forEach((item, i) => items(item, `${path}[${i}]`, issues));
        };
      }
      case 'map': {
        const values = compile(complex.values, namespace);
        return (value, path, issues) => {
          if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) values(v, `${path}[${k}]`, issues);
        };
      }
      case 'string': {
        const pattern = complex.pattern !== undefined ? new RegExp(complex.pattern) : complex.logicalType === 'uuid' ? UUID : undefined;
        if (!pattern) return () => {};
        const what =
          complex.logicalType === 'uuid' && complex.pattern === undefined ? 'a lowercase UUID' : `a string matching ${pattern.source}`;
        return (value, path, issues) => {
          if (typeof value === 'string' && !pattern.test(value)) issues.push(`${path} must be ${what} (${value.length} characters given)`);
        };
      }
      default:
        return () => {};
    }
  };
  return compile(schema, undefined);
}

/** The local, authoritative schema of one event type, compiled. */
export interface EventCodec {
  readonly type: EventType;
  readonly recordName: string;
  /** Self-contained schema, as registered. */
  readonly schema: AvroRecord;
  readonly avro: Type;
  /** Every way a payload breaks the schema; empty when it is valid. */
  validate(payload: unknown): string[];
}

export function createCodec(type: EventType, recordName: string, schema: AvroRecord): EventCodec {
  const avroType = avro.Type.forSchema(schema as unknown as avro.Schema, avscOptions());
  const patterns = compilePatternChecks(schema);
  return {
    type,
    recordName,
    schema,
    avro: avroType,
    validate(payload) {
      const issues: string[] = [];
      avroType.isValid(payload, {
        noUndeclaredFields: true,
        errorHook: (path, value, t) => {
          const where = [type, ...path].join('.');
          const declared = (t as unknown as { fields?: { name: string }[] }).fields?.map((f) => f.name);
          const undeclared =
            declared && typeof value === 'object' && value !== null ? Object.keys(value).filter((k) => !declared.includes(k)) : [];
          if (value === undefined) issues.push(`${where} is missing`);
          else if (undeclared.length > 0) issues.push(`${where} has fields its schema does not declare: ${undeclared.join(', ')}`);
          else issues.push(`${where} is not a valid ${t.name ?? t.typeName}`);
        },
      });
      if (issues.length === 0) patterns(payload, type, issues);
      return issues;
    },
  };
}

/** A codec for every event type of a schema set (schemas/avro by default). */
export function createCodecs(set: SchemaSet = loadSchemaSet()): ReadonlyMap<EventType, EventCodec> {
  const codecs = new Map<EventType, EventCodec>();
  for (const event of set.events) {
    const type = eventTypeOfRecord(event.fullName);
    if (!type)
      throw new Error(
        `${event.file} defines event ${event.fullName}, which the generated types do not know: run \`npm run schemas:generate\``,
      );
    codecs.set(type, createCodec(type, event.fullName, event.bundled));
  }
  return codecs;
}
