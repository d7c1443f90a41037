import type { Task } from './fhir-resources.schema.ts';

const SERVICE_REQUEST_REFERENCE = /^ServiceRequest\/[A-Za-z0-9\-.]{1,64}$/;

/**
 * Where a Task names its ServiceRequest (`focus.reference`, `basedOn[1].reference`): the field a
 * refusal names when this adapter never accepted that ServiceRequest. Read in the order `targetOf`
 * reads, so it is the reference the Task's target came from.
 */
export function serviceRequestReferenceField(task: Pick<Task, 'focus' | 'basedOn'>): string {
  const refs = [task.focus, ...(Array.isArray(task.basedOn) ? task.basedOn : [])];
  const at = refs.findIndex(
    (ref) => typeof ref === 'object' && ref !== null && SERVICE_REQUEST_REFERENCE.test(String(ref.reference ?? '')),
  );
  return at <= 0 ? 'focus.reference' : `basedOn[${at - 1}].reference`;
}
