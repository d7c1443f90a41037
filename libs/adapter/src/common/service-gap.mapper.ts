import type { ServiceGapReported, ServiceGapResolved } from '@passerelle/schemas/generated';
import { makeEnvelope, type MappingContext } from '../canonical-event.ts';
import { toPopulationFlags } from './population-flags.schema.ts';
import type { ServiceGapReport, ServiceGapResolution } from './service-gap.schema.ts';

/** The source key of a gap: its reference, so a resolution finds the same gapId. */
export const gapSourceId = (gapReference: string): string => `gap|${gapReference}`;

export function mapServiceGapReport(report: ServiceGapReport, gapId: string, ctx: MappingContext): ServiceGapReported {
  return {
    envelope: makeEnvelope(ctx, gapId, report.observedAt),
    gapId,
    region: report.region,
    serviceCategory: report.serviceCategory,
    severity: report.severity,
    gapCode: report.gapCode,
    affectedPopulations: toPopulationFlags(report.affectedPopulations),
  };
}

export function mapServiceGapResolution(resolution: ServiceGapResolution, gapId: string, ctx: MappingContext): ServiceGapResolved {
  return {
    envelope: makeEnvelope(ctx, gapId, resolution.resolvedAt),
    gapId,
    resolution: resolution.resolution,
  };
}
