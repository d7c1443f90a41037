import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

/** What a refusal carries, as problem details have it (libs/http ProblemBody, minus what FHIR has no place for). */
export interface Refusal {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors?: readonly { readonly field: string; readonly reason: string }[];
}

export const FHIR_JSON = 'application/fhir+json';
const FHIR_XML = 'application/fhir+xml';

/** The FHIR issue type of each refusal status (http://hl7.org/fhir/issue-type). */
const ISSUE_TYPE_OF_STATUS: Readonly<Record<number, OperationOutcomeIssue['code']>> = {
  400: 'invalid',
  401: 'security',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'too-long',
  415: 'not-supported',
  429: 'throttled',
  500: 'exception',
  503: 'transient',
};

export function issueTypeOf(status: number): OperationOutcomeIssue['code'] {
  return ISSUE_TYPE_OF_STATUS[status] ?? (status >= 500 ? 'exception' : 'processing');
}

const mediaTypes = (header: string | undefined): string[] =>
  (header ?? '')
    .split(',')
    .map((part) => part.split(';')[0]?.trim().toLowerCase() ?? '')
    .filter(Boolean);

/**
 * Whether a request asks for FHIR: its Accept names a FHIR format; else, unless it names problem
 * details, its body is FHIR (Content-Type application/fhir+json or +xml).
 */
export function asksForFhir(accept: string | undefined, contentType: string | undefined): boolean {
  const accepted = mediaTypes(accept);
  if (accepted.some((type) => type === FHIR_JSON || type === FHIR_XML)) return true;
  if (accepted.includes('application/problem+json')) return false;
  const sent = mediaTypes(contentType)[0];
  return sent === FHIR_JSON || sent === FHIR_XML;
}

/** A field path of the resource (`category[0].coding[0].code`), as opposed to a header, a CSV cell or the whole body. */
const ELEMENT_PATH = /^[A-Za-z][A-Za-z0-9]*(\[\d+\])?(\.[A-Za-z][A-Za-z0-9]*(\[\d+\])?)*$/;

/** The resource type a FHIR route is about (`/fhir/Task/$validate` → Task), if any. */
export function resourceTypeOfPath(path: string): string | undefined {
  if (path === '/fhir' || path === '/fhir/') return 'Bundle';
  return /^\/fhir\/([A-Z][A-Za-z]+)(\/|$)/.exec(path)?.[1];
}

/**
 * The refusal as an OperationOutcome: one issue per invalid field, its `expression` the FHIRPath of
 * the element (`ServiceRequest.extension`), or one issue saying what the problem details say.
 * Built from the problem's own words, which never quote a value.
 */
export function operationOutcomeOf(refusal: Refusal, resourceType: string | undefined): OperationOutcome {
  const code = issueTypeOf(refusal.status);
  const severity = refusal.status >= 500 ? 'fatal' : 'error';
  const fieldIssues: OperationOutcomeIssue[] = (refusal.errors ?? []).map(({ field, reason }) => {
    const element = refusal.status === 400 && field !== 'body' && ELEMENT_PATH.test(field);
    return {
      severity,
      code,
      details: { text: refusal.title },
      diagnostics: `${field} ${reason}`,
      ...(element ? { expression: [resourceType ? `${resourceType}.${field}` : field] } : {}),
    };
  });
  return {
    resourceType: 'OperationOutcome',
    issue: fieldIssues.length > 0 ? fieldIssues : [{ severity, code, details: { text: refusal.title }, diagnostics: refusal.detail }],
  };
}

/** `$validate` of a valid resource: one information issue. */
export function allOk(resourceType: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'information', code: 'informational', diagnostics: `the ${resourceType} is valid: POST would accept it` }],
  };
}
