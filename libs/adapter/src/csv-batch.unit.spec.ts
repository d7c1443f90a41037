import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProblemError } from '@passerelle/http';
import { parseCsvBatch } from './csv-batch.ts';

const spec = {
  required: ['id', 'region'],
  optional: ['notes', 'count'],
  freeText: ['notes'],
  row: z.strictObject({
    id: z.string().regex(/^R\d+$/, { error: 'must be R and digits' }),
    region: z.enum(['east', 'west']),
    notes: z.string().optional(),
    count: z.coerce.number().int().optional(),
  }),
  maxRows: 3,
};

function errorsOf(text: string): { field: string; reason: string }[] {
  try {
    parseCsvBatch(text, spec);
  } catch (error) {
    if (error instanceof ProblemError) return [...error.errors];
    throw error;
  }
  throw new Error('expected the batch to be refused');
}

describe('CSV batches', () => {
  it('returns every row with its spreadsheet row number, empty cells left out', () => {
    const rows = parseCsvBatch('\ufeffid,region,notes\nR1,east,\nR2,west,"=SUM(A1:A2), said ""x"""\n', spec);

    expect(rows.map((r) => [r.row, r.value])).toEqual([
      [2, { id: 'R1', region: 'east' }],
      [3, { id: 'R2', region: 'west', notes: '=SUM(A1:A2), said "x"' }],
    ]);
  });

  it('names every bad row and column at once', () => {
    expect(errorsOf('id,region,count\nR1,north,1\nX2,east,1.5\nR3,west,2\n')).toEqual([
      { field: 'row 2, column region', reason: 'must be one of east, west' },
      { field: 'row 3, column id', reason: 'must be R and digits' },
      { field: 'row 3, column count', reason: 'must be a whole number' },
    ]);
  });

  it('refuses a formula in a coded column but not in a free-text one', () => {
    expect(errorsOf('id,region,notes\n+R1,east,=1+1\n')).toEqual([
      { field: 'row 2, column id', reason: expect.stringContaining('formula') },
    ]);
  });

  it('checks the header: unknown, repeated and missing columns', () => {
    expect(errorsOf('id,id,colour\nR1,R1,red\n')).toEqual([
      { field: 'row 1, column id', reason: 'appears more than once' },
      { field: 'row 1, column 3', reason: 'is not a known column' },
      { field: 'row 1, column region', reason: 'is a required column and is missing' },
    ]);
  });

  it('refuses empty uploads, header-only uploads and uploads over the row limit', () => {
    expect(errorsOf('')[0]?.field).toBe('body');
    expect(errorsOf('id,region\n')).toEqual([{ field: 'body', reason: 'has a header but no record rows' }]);
    expect(errorsOf(`id,region\n${'R1,east\n'.repeat(4)}`)[0]?.reason).toContain('at most 3');
  });

  it('reports malformed CSV by row without quoting the cell', () => {
    const errors = errorsOf('id,region\nR1,east\nR2,"west\n');

    expect(errors).toEqual([{ field: 'row 3', reason: 'has a quote that is never closed' }]);
    expect(errorsOf('id,region\nR1,ea"st"secret\n')[0]?.reason).not.toContain('secret');
  });
});
