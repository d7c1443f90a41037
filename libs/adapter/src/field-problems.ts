import type { z } from 'zod';
import { problems, type FieldProblem } from '@passerelle/http';

type Issue = z.core.$ZodIssue;

/** `victim.address[0].line` style path: what a ministry developer looks for in their record. */
export function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? 'body' : out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const part of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

const NOUNS: Readonly<Record<string, string>> = { int: 'a whole number', array: 'an array', object: 'an object' };

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * Why a field failed, in words built from the schema alone: the value itself is never quoted,
 * since a misplaced name or health card number would otherwise come back in the answer.
 */
function reasonOf(issue: Issue, input: unknown): string {
  const missing = issue.code !== 'unrecognized_keys' && issue.code !== 'custom' && valueAt(input, issue.path) === undefined;
  if (missing && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union')) return 'is required';
  switch (issue.code) {
    case 'invalid_type': {
      const found = valueAt(input, issue.path);
      const noun = NOUNS[issue.expected] ?? `a ${issue.expected}`;
      // A CSV cell is always text: "got a string" would say nothing there.
      return typeof found === 'string' && ['number', 'int', 'boolean'].includes(issue.expected)
        ? `must be ${noun}`
        : `must be ${noun}, got ${kindOf(found)}`;
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'too_big':
      return issue.origin === 'string'
        ? `must be at most ${String(issue.maximum)} characters long`
        : issue.origin === 'array'
          ? `must have at most ${String(issue.maximum)} items`
          : `must be at most ${String(issue.maximum)}`;
    case 'too_small':
      return issue.origin === 'string'
        ? `must be at least ${String(issue.minimum)} characters long`
        : issue.origin === 'array'
          ? `must have at least ${String(issue.minimum)} item${Number(issue.minimum) === 1 ? '' : 's'}`
          : `must be at least ${String(issue.minimum)}`;
    case 'invalid_format':
      // Our schemas give every format check its own message; zod's default names the pattern only.
      return issue.message;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'unrecognized_keys':
      return 'is not a field of this record';
    case 'invalid_union':
      return 'does not match any accepted form';
    case 'custom':
      return issue.message;
    default:
      return 'is invalid';
  }
}

/** Every problem of a failed parse, one per field (the first found), in the order zod found them. */
export function fieldProblemsOf(error: z.ZodError, input: unknown, prefix = ''): FieldProblem[] {
  const found: FieldProblem[] = [];
  const add = (field: string, reason: string, unknownKey = false): void => {
    if (!found.some((problem) => problem.field === field)) found.push({ field, reason, ...(unknownKey ? { unknownKey } : {}) });
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add(fieldPath(prefix, [...issue.path, key]), reasonOf(issue, input), true);
      continue;
    }
    add(fieldPath(prefix, issue.path), reasonOf(issue, input));
  }
  return found;
}

/**
 * The `when` of a whole-record refinement that must run even after field errors (so one answer
 * names every problem) but only on an object: `null`, `[]` or `5` as a body would make it throw.
 */
export function whenObject(payload: { readonly value: unknown }): boolean {
  return typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value);
}

/** Parses a native record or throws 400 problem details naming every invalid field. */
export function parseNative<T extends z.ZodType>(schema: T, input: unknown, prefix = ''): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw problems.validation(fieldProblemsOf(result.error, input, prefix));
}
