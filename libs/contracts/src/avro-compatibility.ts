import {
  fullNameOf,
  fullNameOfDefinition,
  isNamedType,
  isPrimitiveName,
  isRecord,
  namespaceOfFullName,
  shortNameOf,
  type AvroArray,
  type AvroEnum,
  type AvroFixed,
  type AvroMap,
  type AvroNamedType,
  type AvroRecord,
  type AvroType,
} from '@passerelle/schemas';

/**
 * Explains why two versions of a schema are incompatible, following the Avro specification's
 * schema resolution rules. Apicurio's Confluent-compatible API answers only
 * `{"is_compatible": false}`, so the registry gives the verdict and this gives the reason.
 */

/** `backward`: the new schema reads data written with the old one. `forward`: the reverse. */
export type Direction = 'backward' | 'forward';

export interface Incompatibility {
  /** `Record.field` (or `Record`) where the problem is. */
  readonly path: string;
  /** What changed between the old and the new version, in words. */
  readonly change: string;
  readonly directions: readonly Direction[];
}

type Resolved =
  | { readonly kind: 'primitive'; readonly name: string }
  | { readonly kind: 'union'; readonly branches: readonly AvroType[]; readonly namespace: string | undefined }
  | { readonly kind: 'record'; readonly fullName: string; readonly def: AvroRecord }
  | { readonly kind: 'enum'; readonly fullName: string; readonly def: AvroEnum }
  | { readonly kind: 'fixed'; readonly fullName: string; readonly def: AvroFixed }
  | { readonly kind: 'array'; readonly def: AvroArray; readonly namespace: string | undefined }
  | { readonly kind: 'map'; readonly def: AvroMap; readonly namespace: string | undefined };

/** A schema with its named types indexed, so references can be followed. */
class SchemaGraph {
  private readonly named = new Map<string, AvroNamedType>();

  constructor(readonly root: AvroType) {
    this.index(root, undefined);
  }

  private index(type: AvroType, namespace: string | undefined): void {
    if (typeof type === 'string') return;
    if (Array.isArray(type)) {
      for (const branch of type as readonly AvroType[]) this.index(branch, namespace);
      return;
    }
    const complex = type as Exclude<AvroType, string | readonly AvroType[]>;
    if (isNamedType(complex)) {
      const full = fullNameOfDefinition(complex, namespace);
      this.named.set(full, complex);
      if (isRecord(complex)) for (const field of complex.fields) this.index(field.type, namespaceOfFullName(full));
      return;
    }
    if (complex.type === 'array') this.index(complex.items, namespace);
    if (complex.type === 'map') this.index(complex.values, namespace);
  }

  resolve(type: AvroType, namespace: string | undefined): Resolved {
    if (typeof type === 'string') {
      if (isPrimitiveName(type)) return { kind: 'primitive', name: type };
      const full = fullNameOf(type, namespace);
      const def = this.named.get(full);
      if (!def) throw new Error(`schema refers to ${full}, which it does not define`);
      return this.resolve(def, namespaceOfFullName(full));
    }
    if (Array.isArray(type)) return { kind: 'union', branches: type as readonly AvroType[], namespace };
    const complex = type as Exclude<AvroType, string | readonly AvroType[]>;
    if (isNamedType(complex)) {
      const fullName = fullNameOfDefinition(complex, namespace);
      if (isRecord(complex)) return { kind: 'record', fullName, def: complex };
      if (complex.type === 'enum') return { kind: 'enum', fullName, def: complex };
      return { kind: 'fixed', fullName, def: complex as AvroFixed };
    }
    if (complex.type === 'array') return { kind: 'array', def: complex, namespace };
    if (complex.type === 'map') return { kind: 'map', def: complex, namespace };
    return { kind: 'primitive', name: complex.type };
  }
}

/**
 * A type's identity for spotting renames: named types by full name, the rest by structure.
 * Not the schema text, which registries normalise (Apicurio drops redundant namespaces and
 * reorders attributes).
 */
function signature(graph: SchemaGraph, type: AvroType, namespace: string | undefined): string {
  const resolved = graph.resolve(type, namespace);
  switch (resolved.kind) {
    case 'primitive':
      return resolved.name;
    case 'record':
    case 'enum':
    case 'fixed':
      return `${resolved.kind}:${resolved.fullName}`;
    case 'union':
      return `union<${resolved.branches.map((b) => signature(graph, b, resolved.namespace)).join(',')}>`;
    case 'array':
      return `array<${signature(graph, resolved.def.items, resolved.namespace)}>`;
    case 'map':
      return `map<${signature(graph, resolved.def.values, resolved.namespace)}>`;
  }
}

/** Writer primitive → reader primitives that can read it (Avro's promotions). */
const PROMOTIONS: Readonly<Record<string, readonly string[]>> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

function describe(type: Resolved): string {
  switch (type.kind) {
    case 'primitive':
      return type.name;
    case 'record':
    case 'enum':
    case 'fixed':
      return shortNameOf(type.fullName);
    case 'union':
      return `union`;
    case 'array':
      return 'array';
    case 'map':
      return 'map';
  }
}

function namesMatch(reader: { fullName: string; def: { aliases?: readonly string[] } }, writerFullName: string): boolean {
  if (reader.fullName === writerFullName) return true;
  const namespace = namespaceOfFullName(reader.fullName);
  return (reader.def.aliases ?? []).some((alias) => fullNameOf(alias, namespace) === writerFullName);
}

interface Found {
  readonly path: string;
  readonly key: string;
  readonly change: string;
}

/**
 * Everything that stops `reader` from reading data written with `writer`. `readerIsNew` only
 * decides the wording: the change is always told from the old version to the new one.
 */
function readProblems(readerSchema: AvroType, writerSchema: AvroType, readerIsNew: boolean): Found[] {
  const readerGraph = new SchemaGraph(readerSchema);
  const writerGraph = new SchemaGraph(writerSchema);
  const found: Found[] = [];
  const visiting = new Set<string>();
  const oldAndNew = (readerText: string, writerText: string): [string, string] =>
    readerIsNew ? [writerText, readerText] : [readerText, writerText];

  // A cheap structural match, used to pick a union branch the way the Avro spec does.
  const matches = (r: Resolved, w: Resolved): boolean => {
    if (r.kind === 'primitive' && w.kind === 'primitive') return r.name === w.name || (PROMOTIONS[w.name] ?? []).includes(r.name);
    if ((r.kind === 'record' || r.kind === 'enum' || r.kind === 'fixed') && r.kind === w.kind) return namesMatch(r, w.fullName);
    return (r.kind === 'array' && w.kind === 'array') || (r.kind === 'map' && w.kind === 'map');
  };

  const check = (reader: AvroType, readerNs: string | undefined, writer: AvroType, writerNs: string | undefined, path: string): void => {
    const r = readerGraph.resolve(reader, readerNs);
    const w = writerGraph.resolve(writer, writerNs);

    if (w.kind === 'union') {
      for (const branch of w.branches) {
        const wb = writerGraph.resolve(branch, w.namespace);
        if (r.kind === 'union') {
          const match = r.branches.find((rb) => matches(readerGraph.resolve(rb, r.namespace), wb));
          if (match === undefined) {
            const change = readerIsNew ? `${describe(wb)} was removed from the union` : `${describe(wb)} was added to the union`;
            found.push({ path, key: `union:${describe(wb)}`, change });
          } else check(match, r.namespace, branch, w.namespace, path);
        } else check(reader, readerNs, branch, w.namespace, path);
      }
      return;
    }
    if (r.kind === 'union') {
      const match = r.branches.find((rb) => matches(readerGraph.resolve(rb, r.namespace), w));
      if (match === undefined) {
        const [before, after] = oldAndNew(r.branches.map((b) => describe(readerGraph.resolve(b, r.namespace))).join(' | '), describe(w));
        found.push({ path, key: 'type', change: `type changed from ${before} to ${after}` });
      } else check(match, r.namespace, writer, writerNs, path);
      return;
    }
    if (r.kind === 'primitive' && w.kind === 'primitive') {
      if (!matches(r, w)) {
        const [before, after] = oldAndNew(r.name, w.name);
        found.push({ path, key: 'type', change: `type changed from ${before} to ${after}` });
      }
      return;
    }
    if (r.kind !== w.kind) {
      const [before, after] = oldAndNew(describe(r), describe(w));
      found.push({ path, key: 'type', change: `type changed from ${before} to ${after}` });
      return;
    }
    if (r.kind === 'array' && w.kind === 'array') return check(r.def.items, r.namespace, w.def.items, w.namespace, `${path}[]`);
    if (r.kind === 'map' && w.kind === 'map') return check(r.def.values, r.namespace, w.def.values, w.namespace, `${path}{}`);
    if (r.kind === 'fixed' && w.kind === 'fixed') {
      if (!namesMatch(r, w.fullName)) {
        const [before, after] = oldAndNew(r.fullName, w.fullName);
        found.push({ path, key: 'name', change: `fixed type renamed from ${before} to ${after} without an alias` });
      }
      if (r.def.size !== w.def.size) {
        const [before, after] = oldAndNew(String(r.def.size), String(w.def.size));
        found.push({ path, key: 'size', change: `fixed size changed from ${before} to ${after} bytes` });
      }
      return;
    }
    if (r.kind === 'enum' && w.kind === 'enum') {
      if (!namesMatch(r, w.fullName)) {
        const [before, after] = oldAndNew(r.fullName, w.fullName);
        found.push({ path, key: 'name', change: `enum renamed from ${before} to ${after} without an alias` });
        return;
      }
      if (r.def.default !== undefined) return;
      for (const symbol of w.def.symbols.filter((s) => !r.def.symbols.includes(s))) {
        const change = readerIsNew
          ? `symbol ${symbol} was removed from enum ${shortNameOf(r.fullName)}, which has no default to read it as`
          : `symbol ${symbol} was added to enum ${shortNameOf(r.fullName)}, whose old version has no default to read it as`;
        found.push({ path, key: `symbol:${symbol}`, change });
      }
      return;
    }
    if (r.kind === 'record' && w.kind === 'record') {
      if (!namesMatch(r, w.fullName)) {
        const [before, after] = oldAndNew(r.fullName, w.fullName);
        found.push({ path, key: 'name', change: `record renamed from ${before} to ${after} without an alias` });
        return;
      }
      const pair = `${r.fullName}<-${w.fullName}`;
      if (visiting.has(pair)) return;
      visiting.add(pair);
      const readerNsInner = namespaceOfFullName(r.fullName);
      const writerNsInner = namespaceOfFullName(w.fullName);
      const writerFields = new Map(w.def.fields.map((field) => [field.name, field]));
      const matchedWriterFields = new Set<string>();
      const unmatchedReaderFields = [];
      for (const field of r.def.fields) {
        const writerField = [field.name, ...(field.aliases ?? [])].map((name) => writerFields.get(name)).find((f) => f !== undefined);
        if (writerField) {
          matchedWriterFields.add(writerField.name);
          check(field.type, readerNsInner, writerField.type, writerNsInner, `${path}.${field.name}`);
        } else if (field.default === undefined) unmatchedReaderFields.push(field);
      }
      const unmatchedWriterFields = w.def.fields.filter((field) => !matchedWriterFields.has(field.name));
      for (const field of unmatchedReaderFields) {
        // A field missing on one side while another of the same type is missing on the other side reads as a rename.
        const sameType = signature(readerGraph, field.type, readerNsInner);
        const twin = unmatchedWriterFields.find((wf) => signature(writerGraph, wf.type, writerNsInner) === sameType);
        if (twin) {
          const [before, after] = oldAndNew(field.name, twin.name);
          found.push({
            path,
            key: `rename:${before}->${after}`,
            change: `field ${before} was renamed to ${after} without an alias, and neither has a default`,
          });
        } else if (readerIsNew) {
          found.push({ path: `${path}.${field.name}`, key: 'added', change: 'field was added without a default' });
        } else {
          found.push({
            path: `${path}.${field.name}`,
            key: 'removed',
            change: 'field was removed, and the old version declares it without a default',
          });
        }
      }
      visiting.delete(pair);
    }
  };

  check(readerSchema, undefined, writerSchema, undefined, rootName(readerSchema));
  return found;
}

function rootName(schema: AvroType): string {
  return typeof schema === 'object' && !Array.isArray(schema) && isNamedType(schema as AvroType)
    ? shortNameOf((schema as AvroNamedType).name)
    : 'value';
}

/**
 * What breaks FULL compatibility between an old and a new version: the new schema must read
 * old data (backward) and the old schema must read new data (forward). Problems found in both
 * directions are reported once.
 */
export function fullCompatibilityProblems(newSchema: AvroType, oldSchema: AvroType): Incompatibility[] {
  const merged = new Map<string, { path: string; change: string; directions: Direction[] }>();
  const add = (found: readonly Found[], direction: Direction): void => {
    for (const { path, key, change } of found) {
      const id = `${path}|${key}`;
      const existing = merged.get(id);
      if (existing) existing.directions.push(direction);
      else merged.set(id, { path, change, directions: [direction] });
    }
  };
  add(readProblems(newSchema, oldSchema, true), 'backward');
  add(readProblems(oldSchema, newSchema, false), 'forward');
  return [...merged.values()];
}

/** One line per problem, naming the old version it breaks against. */
export function explainIncompatibility(problem: Incompatibility, oldVersion: string): string {
  const consequences = problem.directions.map((direction) =>
    direction === 'backward'
      ? `the new schema cannot read data written with ${oldVersion}`
      : `consumers on ${oldVersion} cannot read data written with the new schema`,
  );
  return `${problem.path}: ${problem.change} (${consequences.join('; ')})`;
}
