import type { RateScope } from './rate-limit.ts';
import { PROBLEM_TYPE_BASE, problemTypeNameOf, type ProblemTitle, type ProblemTypeName } from './problem-types.ts';

/** One invalid field: a JSON pointer-like path (or "row 3, column region") and why. */
export interface FieldProblem {
  readonly field: string;
  readonly reason: string;
  /**
   * The last segment of `field` is a key the caller made up (a field or parameter the schema does
   * not know): told to the caller, who wrote it, but never logged, since it may be anything,
   * personal data included.
   */
  readonly unknownKey?: boolean;
}

/** The most field names a refusal's log line lists. */
const LOGGED_FIELDS = 20;

/**
 * The names of a refusal's fields as a log line may hold them: the schema's own paths, a made-up
 * key replaced by `<unknown key>`, at most LOGGED_FIELDS of them.
 */
export function loggableFields(errors: readonly FieldProblem[]): { fields: string[]; moreFields?: number } {
  const fields = errors.slice(0, LOGGED_FIELDS).map(({ field, unknownKey }) => {
    if (!unknownKey) return field;
    const parent = field.includes('.') ? field.slice(0, field.lastIndexOf('.')) : '';
    return parent ? `${parent}.<unknown key>` : '<unknown key>';
  });
  return errors.length > LOGGED_FIELDS ? { fields, moreFields: errors.length - LOGGED_FIELDS } : { fields };
}

/**
 * An RFC 7807 problem. Thrown anywhere in a request; turned into
 * `application/problem+json` by the error middleware, and nowhere else.
 */
export class ProblemError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: ProblemTitle;
  /** The problem type's name in the catalogue (problem-types.ts): the last segment of its `type` URI. */
  readonly typeName: ProblemTypeName;
  readonly errors: readonly FieldProblem[];
  readonly extra: Readonly<Record<string, unknown>>;

  constructor(
    status: number,
    title: ProblemTitle,
    options: { type?: string; detail?: string; errors?: readonly FieldProblem[]; extra?: Record<string, unknown> } = {},
  ) {
    super(options.detail ?? title);
    this.name = 'ProblemError';
    this.status = status;
    this.title = title;
    this.typeName = problemTypeNameOf(title);
    this.type = options.type ?? `${PROBLEM_TYPE_BASE}${this.typeName}`;
    this.errors = options.errors ?? [];
    this.extra = options.extra ?? {};
  }
}

export const problems = {
  validation: (errors: readonly FieldProblem[], detail = 'the request has invalid fields') =>
    new ProblemError(400, 'Invalid request', { detail, errors }),
  unauthorized: (detail = 'a valid credential is required', errors: readonly FieldProblem[] = []) =>
    new ProblemError(401, 'Unauthorized', { detail, errors }),
  forbidden: (detail: string) => new ProblemError(403, 'Forbidden', { detail }),
  notFound: (detail: string) => new ProblemError(404, 'Not found', { detail }),
  conflict: (detail: string) => new ProblemError(409, 'Conflict', { detail }),
  tooLarge: (limit: string) => new ProblemError(413, 'Payload too large', { detail: `the body exceeds the limit of ${limit}` }),
  unsupportedMediaType: (got: string | undefined, accepted: readonly string[]) =>
    new ProblemError(415, 'Unsupported media type', {
      // The header sent is not quoted back: an answer echoes nothing a caller typed.
      detail: `${got ? 'this content type' : 'a request without a content type'} is not accepted; send one of ${accepted.join(', ')}`,
      errors: [{ field: 'Content-Type', reason: `must be one of ${accepted.join(', ')}` }],
    }),
  /** A Content-Encoding the service cannot decode; the coding is named only when it is a plain token. */
  unsupportedContentEncoding: (got: string, accepted: readonly string[]) =>
    new ProblemError(415, 'Unsupported media type', {
      detail: `Content-Encoding ${/^[A-Za-z0-9._-]{1,40}$/.test(got) ? got : 'of this kind'} is not supported; send the body uncompressed${accepted.length > 0 ? ` or as ${accepted.join(', ')}` : ''}`,
      errors: [{ field: 'Content-Encoding', reason: `must be absent, identity${accepted.map((coding) => ` or ${coding}`).join('')}` }],
    }),
  tooManyRequests: (retryAfterSeconds: number, scope: RateScope = 'subject') =>
    new ProblemError(429, 'Too many requests', {
      detail: `the rate limit of this ${scope === 'subject' ? 'credential' : 'client address'} is used up; retry after ${retryAfterSeconds} s`,
      extra: { retryAfter: retryAfterSeconds },
    }),
  unavailable: (detail: string) => new ProblemError(503, 'Service unavailable', { detail }),
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: readonly FieldProblem[];
  [key: string]: unknown;
}

/**
 * The answer's body. With `typeBase` (a service that serves the problem pages itself, such as
 * `/problems/`), `type` is that base and the type's name: a reference the client resolves against
 * the service's own address (RFC 7807 section 3.1), where the page explaining it is served.
 */
export function toProblemBody(problem: ProblemError, instance?: string, typeBase?: string): ProblemBody {
  return {
    ...problem.extra,
    type: typeBase === undefined ? problem.type : `${typeBase}${problem.typeName}`,
    title: problem.title,
    status: problem.status,
    detail: problem.message,
    ...(instance ? { instance } : {}),
    ...(problem.errors.length > 0 ? { errors: problem.errors.map(({ field, reason }) => ({ field, reason })) } : {}),
  };
}
