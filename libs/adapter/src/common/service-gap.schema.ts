import { z } from 'zod';
import { whenObject } from '../field-problems.ts';
import {
  GAP_SEVERITY_SYMBOLS,
  REGION_SYMBOLS,
  SERVICE_CATEGORY_SYMBOLS,
  SERVICE_GAP_CODE_SYMBOLS,
  SERVICE_GAP_RESOLUTION_SYMBOLS,
} from '@passerelle/schemas/generated';
import { droppedText, instant, lowerCodeOf, passerelleId, sourceId } from '../native-fields.ts';
import { populationFlagsSchema } from './population-flags.schema.ts';

/** A service gap as every adapter accepts it (POST /service-gaps). */
export const serviceGapReportSchema = z.strictObject({
  /** The ministry's own reference of the gap; later resolutions name it. */
  gapReference: sourceId(),
  observedAt: instant(),
  region: lowerCodeOf(REGION_SYMBOLS),
  serviceCategory: lowerCodeOf(SERVICE_CATEGORY_SYMBOLS),
  severity: lowerCodeOf(GAP_SEVERITY_SYMBOLS),
  gapCode: lowerCodeOf(SERVICE_GAP_CODE_SYMBOLS),
  affectedPopulations: populationFlagsSchema.optional(),
  description: droppedText(),
});

/** The closing of a gap (POST /service-gaps/resolutions), by the ministry's reference or Passerelle's gap id. */
export const serviceGapResolutionSchema = z
  .strictObject({
    gapReference: sourceId().optional(),
    gapId: passerelleId().optional(),
    resolvedAt: instant(),
    resolution: lowerCodeOf(SERVICE_GAP_RESOLUTION_SYMBOLS),
    notes: droppedText(),
  })
  .superRefine(
    (value, ctx) => {
      if ((value.gapReference === undefined) === (value.gapId === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['gapReference'], message: 'give exactly one of gapReference and gapId' });
      }
    },
    { when: whenObject },
  );

export type ServiceGapReport = z.output<typeof serviceGapReportSchema>;
export type ServiceGapResolution = z.output<typeof serviceGapResolutionSchema>;
