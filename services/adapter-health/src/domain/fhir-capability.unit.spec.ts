import { describe, expect, it } from 'vitest';
import { capabilityStatementOf } from './fhir-capability.ts';

describe('the CapabilityStatement read off the route declarations', () => {
  it('lists a create per POST, a read per GET by id and an operation per $name, and nothing else', () => {
    const statement = capabilityStatementOf(
      [
        { method: 'post', path: '/fhir/ServiceRequest' },
        { method: 'post', path: '/fhir/ServiceRequest/$validate' },
        { method: 'get', path: '/fhir/CodeSystem/:id' },
        { method: 'get', path: '/fhir/metadata' },
        { method: 'post', path: '/service-gaps' },
      ],
      '2025-03-01T00:00:00.000Z',
    );
    expect(statement.rest?.[0]?.resource).toEqual([
      {
        type: 'ServiceRequest',
        interaction: [{ code: 'create' }],
        operation: [{ name: 'validate', definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate' }],
      },
      { type: 'CodeSystem', interaction: [{ code: 'read' }] },
    ]);
    expect(statement).toMatchObject({ kind: 'instance', fhirVersion: '4.0.1', format: ['json'], status: 'active' });
    expect(statement.rest?.[0]?.interaction).toBeUndefined();
  });

  it('lists transaction and batch when the base takes POST', () => {
    const statement = capabilityStatementOf([{ method: 'post', path: '/fhir' }], '2025-03-01T00:00:00.000Z');
    expect(statement.rest?.[0]?.interaction).toEqual([{ code: 'transaction' }, { code: 'batch' }]);
    expect(statement.rest?.[0]?.resource).toEqual([]);
  });
});
