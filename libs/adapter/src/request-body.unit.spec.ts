import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ProblemError } from '@passerelle/http';
import { canonicalJson } from './canonical-json.ts';
import { parseNative } from './field-problems.ts';
import { jsonDepth } from './request-body.ts';

describe('body guards and field problems', () => {
  it('measures nesting depth without recursion, even 100 000 levels deep', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];

    expect(jsonDepth({ a: { b: [1, { c: 2 }] } })).toBe(4);
    expect(jsonDepth('text')).toBe(0);
    expect(jsonDepth(deep)).toBe(100_000);
  });

  it('names missing, mistyped, unknown and out-of-set fields, quoting no value', () => {
    const schema = z.strictObject({
      id: z.string(),
      size: z.number(),
      colour: z.enum(['red', 'blue']),
      tags: z.array(z.string()).optional(),
    });
    let problem: ProblemError | undefined;
    try {
      parseNative(schema, { size: 'Secretname', colour: 'Secretcolour', tags: ['a', 7], extra: 'Secretextra' });
    } catch (error) {
      problem = error as ProblemError;
    }

    expect(problem?.errors).toEqual([
      { field: 'id', reason: 'is required' },
      { field: 'size', reason: 'must be a number' },
      { field: 'colour', reason: 'must be one of red, blue' },
      { field: 'tags[1]', reason: 'must be a string, got a number' },
      { field: 'extra', reason: 'is not a field of this record' },
    ]);
    expect(JSON.stringify(problem?.errors)).not.toContain('Secret');
  });

  it('fingerprints JSON independently of key order and whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: null } })).toBe(
      canonicalJson(JSON.parse('{ "a": { "c": null, "d": [1, 2] }, "b": 1 }')),
    );
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });
});
