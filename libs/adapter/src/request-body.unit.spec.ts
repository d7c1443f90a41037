import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loggableFields, toProblemBody, type ProblemError } from '@passerelle/http';
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
      { field: 'extra', reason: 'is not a field of this record', unknownKey: true },
    ]);
    expect(JSON.stringify(problem?.errors)).not.toContain('Secret');
  });

  it('logs a made-up key as <unknown key>, never as written, and at most 20 field names', () => {
    const schema = z.strictObject({ victim: z.strictObject({ region: z.string() }) });
    const keys = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`TREMBLAY, Marie 2009-03-14 #${i}`, {}]));
    let problem: ProblemError | undefined;
    try {
      parseNative(schema, { victim: { region: 'EAST', ...keys } });
    } catch (error) {
      problem = error as ProblemError;
    }

    const logged = loggableFields(problem?.errors ?? []);
    expect(logged.fields).toHaveLength(20);
    expect(logged.fields[0]).toBe('victim.<unknown key>');
    expect(logged.moreFields).toBe(10);
    expect(JSON.stringify(logged)).not.toContain('TREMBLAY');
    // The caller who wrote the key is told which one it was, without the flag.
    expect(toProblemBody(problem as ProblemError).errors?.[0]).toEqual({
      field: 'victim.TREMBLAY, Marie 2009-03-14 #0',
      reason: 'is not a field of this record',
    });
  });

  it('fingerprints JSON independently of key order and whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2], c: null } })).toBe(
      canonicalJson(JSON.parse('{ "a": { "c": null, "d": [1, 2] }, "b": 1 }')),
    );
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });
});
