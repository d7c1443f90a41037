import type { ServiceGapReported, ServiceGapResolved } from '@passerelle/schemas/generated';
import {
  POPULATION_GROUPS,
  type AffectedPopulationColumns,
  type ServiceGapEventRow,
  type ServiceGapRow,
} from '@passerelle/coordination-view';

export type GapFact = Pick<ServiceGapEventRow, 'event_id' | 'event_type' | 'occurred_at' | 'source_ministry' | 'payload'>;

/** Fold order: the report first (a gap is resolved only once it exists), then (occurredAt, eventId). */
export function compareGapFacts(a: GapFact, b: GapFact): number {
  const report = Number(b.event_type === 'ServiceGapReported') - Number(a.event_type === 'ServiceGapReported');
  if (report !== 0) return report;
  return a.occurred_at - b.occurred_at || (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0);
}

function affected(flags: unknown): AffectedPopulationColumns {
  const source = (flags ?? {}) as Record<string, boolean | null | undefined>;
  return Object.fromEntries(
    POPULATION_GROUPS.map((group) => [`affects_${group.column}`, source[group.field] ?? null]),
  ) as AffectedPopulationColumns;
}

/**
 * One step of the service-gap read model. The earliest report defines the gap (later reports
 * of the same gap id add nothing); the earliest resolution closes it. A resolution that
 * arrives before its report leaves the gap undefined until the report arrives.
 */
export function evolveServiceGap(state: ServiceGapRow | undefined, fact: GapFact): ServiceGapRow | undefined {
  if (fact.event_type === 'ServiceGapReported') {
    if (state) return state;
    const body = fact.payload as Partial<ServiceGapReported>;
    return {
      gap_id: body.gapId as string,
      status: 'OPEN',
      region: body.region as ServiceGapRow['region'],
      service_category: body.serviceCategory as ServiceGapRow['service_category'],
      severity: body.severity as ServiceGapRow['severity'],
      gap_code: body.gapCode as ServiceGapRow['gap_code'],
      ...affected(body.affectedPopulations),
      reported_by: fact.source_ministry,
      reported_at: fact.occurred_at,
      reported_event_id: fact.event_id,
      resolution: null,
      resolved_by: null,
      resolved_at: null,
      resolved_event_id: null,
    };
  }
  if (!state || state.status === 'RESOLVED') return state;
  const body = fact.payload as Partial<ServiceGapResolved>;
  return {
    ...state,
    status: 'RESOLVED',
    resolution: body.resolution ?? null,
    resolved_by: fact.source_ministry,
    resolved_at: fact.occurred_at,
    resolved_event_id: fact.event_id,
  };
}

export function foldServiceGap(facts: readonly GapFact[]): ServiceGapRow | undefined {
  return [...facts].sort(compareGapFacts).reduce<ServiceGapRow | undefined>(evolveServiceGap, undefined);
}
