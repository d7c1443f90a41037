import { describe, expect, it } from 'vitest';
import { buildSchemaSet, loadSchemaSet, readAvroSources } from './avro-schema-set.ts';
import { compareGenerated, generateTypes, isFresh, readGenerated } from './type-generator.ts';

describe('the generated TypeScript types', () => {
  it('are up to date with schemas/avro (otherwise run `npm run schemas:generate`)', () => {
    const report = compareGenerated(generateTypes(loadSchemaSet()), readGenerated());
    expect(report).toEqual({ outdated: [], missing: [], orphaned: [] });
    expect(isFresh(report)).toBe(true);
  });

  it('become stale, naming the file, when an .avsc file changes', () => {
    const sources = readAvroSources().map((source) =>
      source.file === 'region.avsc'
        ? { ...source, text: source.text.replace('"PROVINCE_WIDE"', '"PROVINCE_WIDE", "OUTSIDE_ONTARIO"') }
        : source,
    );
    const report = compareGenerated(generateTypes(buildSchemaSet(sources)), readGenerated());
    expect(report.outdated).toEqual(['region.ts']);
    expect(isFresh(report)).toBe(false);
  });

  it('report a generated file whose .avsc file is gone as orphaned, and a new one as missing', () => {
    const expected = new Map([
      ['a.ts', 'x'],
      ['b.ts', 'y'],
    ]);
    expect(
      compareGenerated(
        expected,
        new Map([
          ['a.ts', 'x'],
          ['c.ts', 'z'],
        ]),
      ),
    ).toEqual({ outdated: [], missing: ['b.ts'], orphaned: ['c.ts'] });
  });

  it('start every file with a do-not-edit header and type enums as their symbols', () => {
    const generated = generateTypes(loadSchemaSet());
    for (const content of generated.values()) expect(content.split('\n')[1]).toMatch(/^\/\/ Do not edit/);
    expect(generated.get('urgency.ts')).toContain(
      "export const URGENCY_SYMBOLS = ['UNKNOWN', 'ROUTINE', 'PRIORITY', 'URGENT', 'EMERGENCY'] as const;",
    );
    expect(generated.get('referral-created.ts')).toContain('readonly receivingMinistry: null | Ministry;');
  });
});
