import { describe, expect, it } from 'vitest';
import { allOk, asksForFhir, issueTypeOf, operationOutcomeOf, resourceTypeOfPath } from './fhir-operation-outcome.ts';

describe('which refusals are answered as OperationOutcome', () => {
  it('is FHIR when Accept names a FHIR format, whatever the body', () => {
    expect(asksForFhir('application/fhir+json', 'application/json')).toBe(true);
    expect(asksForFhir('text/html, application/fhir+json;q=0.9', undefined)).toBe(true);
  });
  it('else follows a FHIR Content-Type, unless Accept asks for problem details', () => {
    expect(asksForFhir(undefined, 'application/fhir+json; charset=utf-8')).toBe(true);
    expect(asksForFhir('*/*', 'application/fhir+xml')).toBe(true);
    expect(asksForFhir('application/problem+json', 'application/fhir+json')).toBe(false);
    expect(asksForFhir(undefined, 'application/json')).toBe(false);
    expect(asksForFhir(undefined, undefined)).toBe(false);
  });
});

describe('a refusal as an OperationOutcome', () => {
  it('gives each invalid field its FHIRPath expression, prefixed with the resource type', () => {
    const outcome = operationOutcomeOf(
      {
        status: 400,
        title: 'Invalid request',
        detail: 'the request has invalid fields',
        errors: [
          { field: 'category[0].coding[0].code', reason: 'is not a code of …' },
          { field: 'extension', reason: 'needs the service-region extension' },
        ],
      },
      'ServiceRequest',
    );
    expect(outcome.issue.map((issue) => issue.expression)).toEqual([
      ['ServiceRequest.category[0].coding[0].code'],
      ['ServiceRequest.extension'],
    ]);
    expect(outcome.issue.every((issue) => issue.severity === 'error' && issue.code === 'invalid')).toBe(true);
  });

  it('gives a header or the whole body no expression', () => {
    const outcome = operationOutcomeOf(
      { status: 415, title: 'Unsupported media type', detail: 'x', errors: [{ field: 'Content-Type', reason: 'must be …' }] },
      'Task',
    );
    expect(outcome.issue).toEqual([
      { severity: 'error', code: 'not-supported', details: { text: 'Unsupported media type' }, diagnostics: 'Content-Type must be …' },
    ]);
    expect(
      operationOutcomeOf(
        { status: 400, title: 'Invalid request', detail: 'x', errors: [{ field: 'body', reason: 'is not valid JSON' }] },
        'Task',
      ).issue[0]?.expression,
    ).toBeUndefined();
  });

  it('maps every refusal status to its FHIR issue type', () => {
    expect([400, 401, 403, 404, 409, 413, 415, 429, 500, 503].map(issueTypeOf)).toEqual([
      'invalid',
      'security',
      'forbidden',
      'not-found',
      'conflict',
      'too-long',
      'not-supported',
      'throttled',
      'exception',
      'transient',
    ]);
    expect(operationOutcomeOf({ status: 401, title: 'Unauthorized', detail: 'a valid credential is required' }, undefined).issue).toEqual([
      { severity: 'error', code: 'security', details: { text: 'Unauthorized' }, diagnostics: 'a valid credential is required' },
    ]);
  });

  it('names the resource of a FHIR route, and none elsewhere', () => {
    expect(resourceTypeOfPath('/fhir/Task/$validate')).toBe('Task');
    expect(resourceTypeOfPath('/fhir/ServiceRequest')).toBe('ServiceRequest');
    expect(resourceTypeOfPath('/service-gaps')).toBeUndefined();
    expect(allOk('Task').issue).toEqual([expect.objectContaining({ severity: 'information', code: 'informational' })]);
  });
});
