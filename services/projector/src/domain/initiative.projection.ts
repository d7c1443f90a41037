import type { Catalogue } from '@passerelle/schemas';
import type { InitiativeProgress, InitiativeRow, MilestoneRow } from '@passerelle/coordination-view';

/** The catalogue as initiative rows with no milestone yet. */
export function initiativeRowsOf(catalogue: Catalogue): InitiativeRow[] {
  return catalogue.strategies.flatMap((strategy) =>
    strategy.initiatives.map((initiative) => {
      const pillar = strategy.pillars.find((p) => p.id === initiative.pillar);
      return {
        initiative_id: initiative.id,
        strategy_id: strategy.id,
        pillar_id: initiative.pillar,
        pillar_title_en: pillar?.titleEn ?? '',
        pillar_title_fr: pillar?.titleFr ?? '',
        lead_ministry: initiative.leadMinistry,
        title_en: initiative.titleEn,
        title_fr: initiative.titleFr,
        latest_status: null,
        latest_measure_unit: null,
        latest_measure_quantity: null,
        latest_occurred_at: null,
        latest_event_id: null,
        milestones: 0,
      };
    }),
  );
}

export function noProgress(initiativeId: string): InitiativeProgress {
  return {
    initiative_id: initiativeId,
    latest_status: null,
    latest_measure_unit: null,
    latest_measure_quantity: null,
    latest_occurred_at: null,
    latest_event_id: null,
    milestones: 0,
  };
}

function isLater(milestone: MilestoneRow, progress: InitiativeProgress): boolean {
  if (progress.latest_occurred_at === null || progress.latest_event_id === null) return true;
  if (milestone.occurred_at !== progress.latest_occurred_at) return milestone.occurred_at > progress.latest_occurred_at;
  return milestone.event_id > progress.latest_event_id;
}

/**
 * An initiative's progress after one more milestone: the latest is the greatest
 * (occurredAt, eventId), which is commutative, so arrival order cannot change it.
 */
export function evolveInitiative(progress: InitiativeProgress, milestone: MilestoneRow): InitiativeProgress {
  const counted = { ...progress, milestones: progress.milestones + 1 };
  if (!isLater(milestone, progress)) return counted;
  return {
    ...counted,
    latest_status: milestone.status,
    latest_measure_unit: milestone.measure_unit,
    latest_measure_quantity: milestone.measure_quantity,
    latest_occurred_at: milestone.occurred_at,
    latest_event_id: milestone.event_id,
  };
}
