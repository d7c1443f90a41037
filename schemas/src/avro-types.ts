/** The JSON shapes of Avro schemas, as far as Passerelle's tools need to read them. */

export const AVRO_PRIMITIVES = ['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'] as const;
export type AvroPrimitive = (typeof AVRO_PRIMITIVES)[number];

export type AvroType = string | readonly AvroType[] | AvroComplexType;
export type AvroComplexType = AvroRecord | AvroEnum | AvroFixed | AvroArray | AvroMap | AvroAnnotatedPrimitive;
export type AvroNamedType = AvroRecord | AvroEnum | AvroFixed;

export interface AvroField {
  readonly name: string;
  readonly type: AvroType;
  readonly doc?: string;
  readonly default?: unknown;
  readonly aliases?: readonly string[];
}

export interface AvroRecord {
  readonly type: 'record' | 'error';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly fields: readonly AvroField[];
}

export interface AvroEnum {
  readonly type: 'enum';
  readonly name: string;
  readonly namespace?: string;
  readonly doc?: string;
  readonly aliases?: readonly string[];
  readonly symbols: readonly string[];
  readonly default?: string;
}

export interface AvroFixed {
  readonly type: 'fixed';
  readonly name: string;
  readonly namespace?: string;
  readonly aliases?: readonly string[];
  readonly size: number;
}

export interface AvroArray {
  readonly type: 'array';
  readonly items: AvroType;
}

export interface AvroMap {
  readonly type: 'map';
  readonly values: AvroType;
}

/**
 * A primitive written as an object, to carry a logical type or Passerelle's `pattern`
 * property (a regular expression every value of a string must match).
 */
export interface AvroAnnotatedPrimitive {
  readonly type: AvroPrimitive;
  readonly logicalType?: string;
  readonly pattern?: string;
}

export function isPrimitiveName(name: string): name is AvroPrimitive {
  return (AVRO_PRIMITIVES as readonly string[]).includes(name);
}

export function isNamedType(type: AvroType): type is AvroNamedType {
  return typeof type === 'object' && !Array.isArray(type) && ['record', 'error', 'enum', 'fixed'].includes((type as AvroComplexType).type);
}

export function isRecord(type: AvroType): type is AvroRecord {
  return (
    typeof type === 'object' &&
    !Array.isArray(type) &&
    ((type as AvroComplexType).type === 'record' || (type as AvroComplexType).type === 'error')
  );
}

/** Full name of a named type per the Avro spec: a dotted name wins over any namespace. */
export function fullNameOf(name: string, namespace: string | undefined): string {
  if (name.includes('.') || !namespace) return name;
  return `${namespace}.${name}`;
}

export function namespaceOfFullName(fullName: string): string | undefined {
  const dot = fullName.lastIndexOf('.');
  return dot < 0 ? undefined : fullName.slice(0, dot);
}

export function shortNameOf(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1);
}

/** Full name of a named type's definition, given the namespace of the schema around it. */
export function fullNameOfDefinition(type: AvroNamedType, enclosingNamespace: string | undefined): string {
  return fullNameOf(type.name, type.namespace ?? enclosingNamespace);
}
