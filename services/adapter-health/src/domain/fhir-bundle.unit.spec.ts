import { describe, expect, it } from 'vitest';
import { bundleSchema, entryTypeProblems, resolveBundleReferences } from './fhir-bundle.ts';

const SR_URL = 'urn:uuid:3f2b8c4e-5d6a-4b7c-8d9e-0a1b2c3d4e5f';

describe('a transaction’s references between entries', () => {
  it('reads a Task’s urn:uuid focus or basedOn naming a ServiceRequest of the Bundle as ServiceRequest/<id>, and leaves the rest', () => {
    const bundle = bundleSchema.parse({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: SR_URL, resource: { resourceType: 'ServiceRequest', id: 'sr-1' }, request: { method: 'POST', url: 'ServiceRequest' } },
        {
          resource: {
            resourceType: 'Task',
            id: 't-1',
            focus: { reference: SR_URL },
            basedOn: [{ reference: 'urn:uuid:00000000-0000-4000-8000-000000000000' }],
          },
          request: { method: 'POST', url: 'Task' },
        },
      ],
    });
    const [request, task] = resolveBundleReferences(bundle) as [unknown, { focus: unknown; basedOn: unknown }];
    expect(request).toEqual({ resourceType: 'ServiceRequest', id: 'sr-1' });
    expect(task.focus).toEqual({ reference: 'ServiceRequest/sr-1' });
    expect(task.basedOn).toEqual([{ reference: 'urn:uuid:00000000-0000-4000-8000-000000000000' }]);
  });

  it('names an entry whose request.url is not its resource’s type', () => {
    const bundle = bundleSchema.parse({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [{ resource: { resourceType: 'Task' }, request: { method: 'POST', url: 'ServiceRequest' } }],
    });
    expect(entryTypeProblems(bundle)).toEqual([{ field: 'entry[0].request.url', reason: 'must be the resource type of entry.resource' }]);
  });

  it('takes only transactions and batches of creates, 1 to 100 entries', () => {
    const entry = { resource: { resourceType: 'Task' }, request: { method: 'POST', url: 'Task' } };
    expect(bundleSchema.safeParse({ resourceType: 'Bundle', type: 'collection', entry: [entry] }).success).toBe(false);
    expect(bundleSchema.safeParse({ resourceType: 'Bundle', type: 'batch', entry: [] }).success).toBe(false);
    expect(bundleSchema.safeParse({ resourceType: 'Bundle', type: 'batch', entry: Array(101).fill(entry) }).success).toBe(false);
    expect(
      bundleSchema.safeParse({ resourceType: 'Bundle', type: 'batch', entry: [{ ...entry, request: { method: 'PUT', url: 'Task' } }] })
        .success,
    ).toBe(false);
  });
});
