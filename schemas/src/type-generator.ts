import fs from 'node:fs';
import path from 'node:path';
import {
  fullNameOf,
  fullNameOfDefinition,
  isNamedType,
  isPrimitiveName,
  isRecord,
  namespaceOfFullName,
  shortNameOf,
  type AvroEnum,
  type AvroNamedType,
  type AvroRecord,
  type AvroType,
} from './avro-types.ts';
import { SCHEMAS_ROOT, type SchemaSet } from './avro-schema-set.ts';

export const GENERATED_DIR = path.join(SCHEMAS_ROOT, 'generated');

const PRIMITIVE_TS: Readonly<Record<string, string>> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  // avsc decodes longs as JS numbers (exact up to 2^53); timestamps in millis fit.
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

function header(source: string): string {
  return [
    `// Generated from ${source} by schemas/scripts/generate-types.ts.`,
    '// Do not edit: change the .avsc file and run `npm run schemas:generate`.',
    '',
    '',
  ].join('\n');
}

function constantCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function tsFileOf(avscFile: string): string {
  return avscFile.replace(/\.avsc$/, '.ts');
}

/** A JSDoc block wrapped at about 100 columns. */
function jsDoc(text: string | undefined, indent: string): string {
  if (!text) return '';
  const words = text.replace(/\*\//g, '* /').split(/\s+/);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + word.length + 1 > 96 - indent.length) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`).join('\n')}\n${indent} */\n`;
}

interface FileContext {
  readonly set: SchemaSet;
  readonly file: string;
  readonly imports: Map<string, Set<string>>;
  readonly local: { readonly type: AvroNamedType; readonly fullName: string }[];
  readonly localNames: Set<string>;
}

function referenceTo(fullName: string, ctx: FileContext): string {
  const target = ctx.set.named.get(fullName);
  if (!target) throw new Error(`${ctx.file} refers to ${fullName}, which no .avsc file defines`);
  const name = shortNameOf(fullName);
  if (target.file !== ctx.file) {
    const from = `./${tsFileOf(target.file)}`;
    const names = ctx.imports.get(from) ?? new Set<string>();
    names.add(name);
    ctx.imports.set(from, names);
  }
  return name;
}

function tsTypeOf(type: AvroType, namespace: string | undefined, ctx: FileContext): string {
  if (typeof type === 'string') {
    if (isPrimitiveName(type)) return PRIMITIVE_TS[type] ?? 'unknown';
    return referenceTo(fullNameOf(type, namespace), ctx);
  }
  if (Array.isArray(type)) return (type as readonly AvroType[]).map((branch) => tsTypeOf(branch, namespace, ctx)).join(' | ');
  const complex = type as Exclude<AvroType, string | readonly AvroType[]>;
  if (isNamedType(complex)) {
    const fullName = fullNameOfDefinition(complex, namespace);
    if (!ctx.localNames.has(fullName)) {
      ctx.localNames.add(fullName);
      ctx.local.push({ type: complex, fullName });
    }
    return shortNameOf(fullName);
  }
  switch (complex.type) {
    case 'array': {
      const items = tsTypeOf(complex.items, namespace, ctx);
      return `readonly ${items.includes(' ') ? `(${items})` : items}[]`;
    }
    case 'map':
      return `Readonly<Record<string, ${tsTypeOf(complex.values, namespace, ctx)}>>`;
    default:
      return PRIMITIVE_TS[complex.type] ?? 'unknown';
  }
}

function enumDeclaration(type: AvroEnum, fullName: string): string {
  const name = shortNameOf(fullName);
  const constant = constantCase(name);
  let out = jsDoc(`Symbols of ${fullName}, in schema order.`, '');
  out += `export const ${constant}_SYMBOLS = [${type.symbols.map((s) => `'${s}'`).join(', ')}] as const;\n\n`;
  out += jsDoc(type.doc, '');
  out += `export type ${name} = (typeof ${constant}_SYMBOLS)[number];\n`;
  if (type.default !== undefined) {
    out += `\n${jsDoc('The symbol a reader substitutes for a symbol it does not know.', '')}`;
    out += `export const ${constant}_DEFAULT: ${name} = '${type.default}';\n`;
  }
  return out;
}

function recordDeclaration(type: AvroRecord, fullName: string, ctx: FileContext): string {
  const name = shortNameOf(fullName);
  const namespace = namespaceOfFullName(fullName);
  let out = jsDoc(`Fully-qualified Avro name of ${name}.`, '');
  out += `export const ${constantCase(name)}_FULL_NAME = '${fullName}';\n\n`;
  out += jsDoc(type.doc, '');
  out += `export interface ${name} {\n`;
  for (const field of type.fields) {
    out += jsDoc(field.doc, '  ');
    out += `  readonly ${field.name}: ${tsTypeOf(field.type, namespace, ctx)};\n`;
  }
  return `${out}}\n`;
}

function generateFile(set: SchemaSet, file: string, definition: AvroNamedType): string {
  const ctx: FileContext = { set, file, imports: new Map(), local: [], localNames: new Set() };
  const topName = fullNameOfDefinition(definition, undefined);
  ctx.localNames.add(topName);
  ctx.local.push({ type: definition, fullName: topName });
  const declarations: string[] = [];
  // Inline definitions found while declaring a record are appended, so this loop reaches them too.
  for (let i = 0; i < ctx.local.length; i += 1) {
    const { type, fullName } = ctx.local[i] as { type: AvroNamedType; fullName: string };
    if (isRecord(type)) declarations.push(recordDeclaration(type, fullName, ctx));
    else if (type.type === 'enum') declarations.push(enumDeclaration(type, fullName));
    else declarations.push(`export type ${shortNameOf(fullName)} = Buffer;\n`);
  }
  const imports = [...ctx.imports.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([from, names]) => `import type { ${[...names].sort().join(', ')} } from '${from}';\n`)
    .join('');
  return `${header(`schemas/avro/${file}`)}${imports ? `${imports}\n` : ''}${declarations.join('\n')}`;
}

function indexFile(set: SchemaSet, generated: ReadonlyMap<string, string>): string {
  const lines: string[] = [];
  for (const [file, content] of [...generated.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const values = [...content.matchAll(/^export const (\w+)/gm)].map((m) => m[1]);
    const types = [...content.matchAll(/^export (?:type|interface) (\w+)/gm)].map((m) => m[1]);
    if (values.length > 0) lines.push(`export { ${values.join(', ')} } from './${file}';`);
    if (types.length > 0) lines.push(`export type { ${types.join(', ')} } from './${file}';`);
  }
  const events = set.events;
  let out = header('schemas/avro/*.avsc');
  for (const event of events) out += `import type { ${event.name} } from './${tsFileOf(event.file)}';\n`;
  out += `\n${lines.join('\n')}\n\n`;
  out += jsDoc('Every event type: the records whose first field is the envelope.', '');
  out += `export const EVENT_TYPE_NAMES = [${events.map((e) => `'${e.name}'`).join(', ')}] as const;\n\n`;
  out += `export type EventTypeName = (typeof EVENT_TYPE_NAMES)[number];\n\n`;
  out += jsDoc('The payload type of each event type.', '');
  out += `export interface EventPayloads {\n${events.map((e) => `  readonly ${e.name}: ${e.name};\n`).join('')}}\n\n`;
  out += jsDoc('Fully-qualified Avro name of each event type (its registry subject under RecordNameStrategy).', '');
  out += `export const EVENT_FULL_NAMES = {\n${events.map((e) => `  ${e.name}: '${e.fullName}',\n`).join('')}} as const satisfies Record<EventTypeName, string>;\n`;
  return out;
}

/** Every generated file's content, by file name: one per `.avsc` file plus `index.ts`. */
export function generateTypes(set: SchemaSet): Map<string, string> {
  const generated = new Map<string, string>();
  for (const [file, definition] of [...set.files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    generated.set(tsFileOf(file), generateFile(set, file, definition));
  }
  generated.set('index.ts', indexFile(set, generated));
  return generated;
}

export interface StaleReport {
  /** Files whose content differs from what the `.avsc` files generate. */
  readonly outdated: readonly string[];
  /** Files that should exist and do not. */
  readonly missing: readonly string[];
  /** Files in the folder that no `.avsc` file generates any more. */
  readonly orphaned: readonly string[];
}

export function isFresh(report: StaleReport): boolean {
  return report.outdated.length + report.missing.length + report.orphaned.length === 0;
}

/** Compares what should be generated with what is on disk. Pure, so it is testable without files. */
export function compareGenerated(expected: ReadonlyMap<string, string>, actual: ReadonlyMap<string, string>): StaleReport {
  const outdated: string[] = [];
  const missing: string[] = [];
  for (const [file, content] of expected) {
    const onDisk = actual.get(file);
    if (onDisk === undefined) missing.push(file);
    else if (onDisk !== content) outdated.push(file);
  }
  const orphaned = [...actual.keys()].filter((file) => !expected.has(file));
  return { outdated: outdated.sort(), missing: missing.sort(), orphaned: orphaned.sort() };
}

export function readGenerated(dir: string = GENERATED_DIR): Map<string, string> {
  const files = new Map<string, string>();
  if (!fs.existsSync(dir)) return files;
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    files.set(file, fs.readFileSync(path.join(dir, file), 'utf8'));
  }
  return files;
}

/** Writes the generated files and removes orphans; returns the names of the files it changed. */
export function writeGenerated(expected: ReadonlyMap<string, string>, dir: string = GENERATED_DIR): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const report = compareGenerated(expected, readGenerated(dir));
  for (const file of [...report.outdated, ...report.missing]) fs.writeFileSync(path.join(dir, file), expected.get(file) ?? '');
  for (const file of report.orphaned) fs.rmSync(path.join(dir, file));
  return [...report.outdated, ...report.missing, ...report.orphaned].sort();
}
