import { describe, expect, it } from 'vitest';
import { serviceRequestReferenceField } from './fhir-task-reference.ts';

describe('where a Task names its ServiceRequest', () => {
  it('is focus.reference when the focus names it', () => {
    expect(serviceRequestReferenceField({ focus: { reference: 'ServiceRequest/sr-1' } } as never)).toBe('focus.reference');
  });

  it('is the basedOn entry that names it when the focus does not', () => {
    const task = {
      focus: { reference: 'Patient/p-1' },
      basedOn: [{ reference: 'CarePlan/c-1' }, { reference: 'ServiceRequest/sr-1' }],
    } as never;
    expect(serviceRequestReferenceField(task)).toBe('basedOn[1].reference');
  });
});
