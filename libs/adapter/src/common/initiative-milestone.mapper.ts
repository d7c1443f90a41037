import type { Initiative } from '@passerelle/schemas';
import type { InitiativeMilestoneRecorded } from '@passerelle/schemas/generated';
import { ProblemError, problems } from '@passerelle/http';
import type { TopicOwner } from '@passerelle/contracts';
import { makeEnvelope, type MappingContext } from '../canonical-event.ts';
import type { InitiativeMilestone } from './initiative-milestone.schema.ts';

/**
 * Only the ministry the catalogue names as lead records an initiative's milestones: 400 for an
 * id the catalogue does not have, 403 for an initiative another party leads.
 */
export function checkLeadership(initiativeId: string, ministry: TopicOwner, initiatives: ReadonlyMap<string, Initiative>): void {
  const initiative = initiatives.get(initiativeId);
  if (!initiative) {
    throw problems.validation([{ field: 'initiativeId', reason: 'is not an initiative of the strategy catalogue' }]);
  }
  if (initiative.leadMinistry !== ministry) {
    throw new ProblemError(403, 'Forbidden', {
      detail: 'only the party that leads an initiative records its milestones',
      errors: [{ field: 'initiativeId', reason: `is led by ${initiative.leadMinistry}, not ${ministry}` }],
    });
  }
}

export function mapInitiativeMilestone(milestone: InitiativeMilestone, ctx: MappingContext): InitiativeMilestoneRecorded {
  return {
    envelope: makeEnvelope(ctx, milestone.initiativeId, milestone.recordedAt),
    initiativeId: milestone.initiativeId,
    status: milestone.status,
    measure: milestone.measure ? { unit: milestone.measure.unit, quantity: milestone.measure.quantity } : null,
  };
}

/** The source key of a milestone: one per initiative, status and time. */
export function milestoneSourceKey(milestone: InitiativeMilestone): string {
  return `milestone|${milestone.initiativeId}|${milestone.status}|${milestone.recordedAt}`;
}
