import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMAS_ROOT, type AvroRecord, type AvroType } from '@passerelle/schemas';
import { explainIncompatibility, fullCompatibilityProblems } from './avro-compatibility.ts';

const fixture = (file: string): AvroType =>
  JSON.parse(fs.readFileSync(path.join(SCHEMAS_ROOT, 'fixtures', 'compat', file), 'utf8')) as AvroType;
const v1 = fixture('v1.avsc');
const reasons = (file: string): string[] => fullCompatibilityProblems(fixture(file), v1).map((p) => explainIncompatibility(p, 'version 1'));

describe('local compatibility analysis (FULL: both directions)', () => {
  it('accepts a new optional field with a default and a new symbol in an enum with a default', () => {
    expect(reasons('next-adds-optional-field.avsc')).toEqual([]);
  });

  it('explains a removed field that version 1 declares without a default', () => {
    expect(reasons('next-removes-field.avsc')).toEqual([
      'GapClosure.servicesAdded: field was removed, and the old version declares it without a default (consumers on version 1 cannot read data written with the new schema)',
    ]);
  });

  it('explains a rename without an alias as a rename, once, breaking both directions', () => {
    expect(reasons('next-renames-field-without-alias.avsc')).toEqual([
      'GapClosure: field servicesAdded was renamed to servicesOpened without an alias, and neither has a default (the new schema cannot read data written with version 1; consumers on version 1 cannot read data written with the new schema)',
    ]);
  });

  it('explains a changed type with the old and the new type', () => {
    expect(reasons('next-changes-field-type.avsc')).toEqual([
      'GapClosure.servicesAdded: type changed from int to string (the new schema cannot read data written with version 1; consumers on version 1 cannot read data written with the new schema)',
    ]);
  });

  it('accepts a promotion backward but not forward: int to long breaks old readers', () => {
    const widened = JSON.parse(JSON.stringify(v1).replace('"type":"int"', '"type":"long"')) as AvroType;
    const problems = fullCompatibilityProblems(widened, v1);
    expect(problems).toEqual([{ path: 'GapClosure.servicesAdded', change: 'type changed from int to long', directions: ['forward'] }]);
  });

  it('explains a new field without a default as breaking backward only', () => {
    const record = v1 as AvroRecord;
    const added: AvroRecord = { ...record, fields: [...record.fields, { name: 'region', type: 'string' }] };
    expect(fullCompatibilityProblems(added, v1)).toEqual([
      { path: 'GapClosure.region', change: 'field was added without a default', directions: ['backward'] },
    ]);
  });

  it('explains a symbol added to an enum that has no default', () => {
    const noDefault = JSON.parse(JSON.stringify(v1).replace(',"default":"UNKNOWN"', '')) as AvroType;
    const withSymbol = JSON.parse(JSON.stringify(noDefault).replace('"FUNDING_PROVIDED"]', '"FUNDING_PROVIDED","OTHER"]')) as AvroType;
    expect(fullCompatibilityProblems(withSymbol, noDefault)).toEqual([
      {
        path: 'GapClosure.resolution',
        change: 'symbol OTHER was added to enum Resolution, whose old version has no default to read it as',
        directions: ['forward'],
      },
    ]);
  });

  it('spots a rename of an enum field even when the registry returns the old version normalised', () => {
    // Apicurio hands back stored schemas without redundant namespaces and with attributes reordered.
    const old = JSON.parse(
      JSON.stringify(v1).replace('"name":"Resolution"', '"namespace":"ca.on.passerelle.fixtures.compat","name":"Resolution"'),
    ) as AvroType;
    const renamed = JSON.parse(JSON.stringify(v1).replace('"name":"resolution"', '"name":"outcome"')) as AvroType;
    expect(fullCompatibilityProblems(renamed, old)).toEqual([
      {
        path: 'GapClosure',
        change: 'field resolution was renamed to outcome without an alias, and neither has a default',
        directions: ['backward', 'forward'],
      },
    ]);
  });

  it('finds nothing between a schema and itself', () => {
    expect(fullCompatibilityProblems(v1, v1)).toEqual([]);
  });
});
