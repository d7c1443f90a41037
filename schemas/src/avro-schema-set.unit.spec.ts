import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { buildSchemaSet, loadSchemaSet, SchemaSetError } from './avro-schema-set.ts';
import { isRecord, type AvroType } from './avro-types.ts';

const set = loadSchemaSet();

/** Every string type in a schema, with where it is. */
function stringTypes(type: AvroType, path: string, out: { path: string; type: AvroType }[] = []): typeof out {
  if (type === 'string') out.push({ path, type });
  else if (Array.isArray(type)) for (const branch of type as readonly AvroType[]) stringTypes(branch, path, out);
  else if (typeof type === 'object') {
    const complex = type as { type: string; items?: AvroType; values?: AvroType };
    if (complex.type === 'string') out.push({ path, type });
    if (complex.items) stringTypes(complex.items, `${path}[]`, out);
    if (complex.values) stringTypes(complex.values, `${path}{}`, out);
  }
  return out;
}

describe('the Avro schemas in schemas/avro', () => {
  it('define the six event types, each starting with the envelope', () => {
    expect(set.events.map((e) => e.name)).toEqual([
      'ConsentWithdrawn',
      'InitiativeMilestoneRecorded',
      'ReferralCreated',
      'ReferralStatusChanged',
      'ServiceGapReported',
      'ServiceGapResolved',
    ]);
    for (const event of set.events) expect(event.definition.fields[0]?.name).toBe('envelope');
  });

  it('live in a namespace under ca.on. and document every record, enum and field', () => {
    const undocumented: string[] = [];
    for (const { fullName, definition } of set.named.values()) {
      expect(fullName).toMatch(/^ca\.on\.passerelle\.v1\.[A-Z]\w+$/);
      if (!('doc' in definition) || !definition.doc?.trim()) undocumented.push(fullName);
      if (isRecord(definition))
        for (const field of definition.fields) if (!field.doc?.trim()) undocumented.push(`${fullName}.${field.name}`);
    }
    expect(undocumented).toEqual([]);
  });

  it('give every enum a default symbol, UNKNOWN, so that adding a symbol stays compatible', () => {
    const enums = [...set.named.values()].filter((n) => n.definition.type === 'enum');
    expect(enums.length).toBeGreaterThanOrEqual(10);
    for (const { fullName, definition } of enums) {
      expect(definition.type === 'enum' && definition.default, fullName).toBe('UNKNOWN');
      expect(definition.type === 'enum' && definition.symbols.includes('UNKNOWN'), fullName).toBe(true);
    }
  });

  it('cover Ontario with the six Ontario Health regions plus PROVINCE_WIDE', () => {
    const region = set.named.get('ca.on.passerelle.v1.Region')?.definition;
    expect(region?.type === 'enum' && region.symbols).toEqual([
      'UNKNOWN',
      'TORONTO',
      'CENTRAL',
      'EAST',
      'WEST',
      'NORTH_EAST',
      'NORTH_WEST',
      'PROVINCE_WIDE',
    ]);
  });

  it('hold no free text: every string is a UUID or constrained by a pattern', () => {
    const unconstrained: string[] = [];
    for (const { fullName, definition } of set.named.values()) {
      if (!isRecord(definition)) continue;
      for (const field of definition.fields) {
        for (const found of stringTypes(field.type, `${fullName}.${field.name}`)) {
          const annotated = typeof found.type === 'object' ? (found.type as { logicalType?: string; pattern?: string }) : {};
          if (annotated.logicalType !== 'uuid' && annotated.pattern === undefined) unconstrained.push(found.path);
        }
      }
    }
    expect(unconstrained).toEqual([]);
  });

  it('bundle each event into a self-contained schema that avsc accepts, defining each named type once', () => {
    for (const event of set.events) {
      const type = avro.Type.forSchema(event.bundled as unknown as avro.Schema, { wrapUnions: false });
      expect(type.name).toBe(event.fullName);
      const text = JSON.stringify(event.bundled);
      expect(text.match(/"name":"Envelope"/g)).toHaveLength(1);
    }
    const created = JSON.stringify(set.events.find((e) => e.name === 'ReferralCreated')?.bundled);
    // Ministry is used twice in ReferralCreated: defined at first use, referenced by name after.
    expect(created.match(/"name":"Ministry"/g)).toHaveLength(1);
    expect(created).toContain('"type":["null","ca.on.passerelle.v1.Ministry"]');
  });

  it('refuses a reference to a type that no file defines, naming the field', () => {
    const broken = {
      type: 'record',
      name: 'Broken',
      namespace: 'ca.on.test',
      doc: 'x',
      fields: [{ name: 'region', type: 'ca.on.test.Nowhere', doc: 'x' }],
    };
    expect(() => buildSchemaSet([{ file: 'broken.avsc', text: JSON.stringify(broken) }])).toThrow(
      /ca\.on\.test\.Broken\.region refers to ca\.on\.test\.Nowhere/,
    );
  });

  it('refuses a file not named after the type it defines', () => {
    const record = { type: 'record', name: 'ServiceGapResolved', namespace: 'ca.on.test', fields: [] };
    const attempt = () => buildSchemaSet([{ file: 'gap-resolved.avsc', text: JSON.stringify(record) }]);
    expect(attempt).toThrow(SchemaSetError);
    expect(attempt).toThrow(/must be named service-gap-resolved\.avsc/);
  });
});
