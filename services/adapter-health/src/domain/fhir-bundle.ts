import { z } from 'zod';

/** Most entries one Bundle may carry: it is accepted in one transaction. */
export const MAX_BUNDLE_ENTRIES = 100;
export const BUNDLE_RESOURCE_TYPES = ['ServiceRequest', 'Task'] as const;
export type BundleResourceType = (typeof BUNDLE_RESOURCE_TYPES)[number];

/**
 * A transaction or batch Bundle of ServiceRequests and Tasks, each entry a create
 * (`request.method` POST, `request.url` its resource type). The resources themselves are checked by
 * the same readers POST /fhir/<Type> uses.
 */
export const bundleSchema = z.looseObject({
  resourceType: z.literal('Bundle'),
  type: z.enum(['transaction', 'batch']),
  entry: z
    .array(
      z.looseObject({
        fullUrl: z.string().max(500).optional(),
        resource: z.looseObject({ resourceType: z.enum(BUNDLE_RESOURCE_TYPES) }),
        request: z.looseObject({ method: z.literal('POST'), url: z.enum(BUNDLE_RESOURCE_TYPES) }),
      }),
    )
    .min(1)
    .max(MAX_BUNDLE_ENTRIES),
});
export type Bundle = z.output<typeof bundleSchema>;

/** A problem of an entry: its index and the entry's own `request.url` must name its resource type. */
export function entryTypeProblems(bundle: Bundle): { field: string; reason: string }[] {
  return bundle.entry.flatMap((entry, i) =>
    entry.request.url === entry.resource.resourceType
      ? []
      : [{ field: `entry[${i}].request.url`, reason: 'must be the resource type of entry.resource' }],
  );
}

const UUID_URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The transaction's resources with each `urn:uuid:` reference to a ServiceRequest of the Bundle
 * (its `fullUrl`) replaced by `ServiceRequest/<id>`, as the server resolves references between
 * entries of a transaction. Other references are left as they are.
 */
export function resolveBundleReferences(bundle: Bundle): unknown[] {
  const local = new Map<string, string>();
  for (const entry of bundle.entry) {
    const id = (entry.resource as { id?: unknown }).id;
    if (entry.resource.resourceType === 'ServiceRequest' && entry.fullUrl && UUID_URN.test(entry.fullUrl) && typeof id === 'string')
      local.set(entry.fullUrl, `ServiceRequest/${id}`);
  }
  const resolve = (ref: unknown): unknown => {
    if (typeof ref !== 'object' || ref === null) return ref;
    const target = local.get(String((ref as { reference?: unknown }).reference));
    return target === undefined ? ref : { ...ref, reference: target };
  };
  return bundle.entry.map(({ resource }) => {
    if (resource.resourceType !== 'Task') return resource;
    const task = resource as { focus?: unknown; basedOn?: unknown };
    return {
      ...resource,
      ...(task.focus === undefined ? {} : { focus: resolve(task.focus) }),
      ...(Array.isArray(task.basedOn) ? { basedOn: task.basedOn.map(resolve) } : {}),
    };
  });
}
