import { z } from 'zod';
import { MEASURE_UNIT_SYMBOLS, MILESTONE_STATUS_SYMBOLS } from '@passerelle/schemas/generated';
import { droppedText, instant, lowerCodeOf } from '../native-fields.ts';

/** A milestone of a strategy initiative (POST /initiative-milestones). */
export const initiativeMilestoneSchema = z.strictObject({
  initiativeId: z.string().regex(/^S[0-9]{4}-P[0-9]+-[0-9]{2}$/, { error: 'must be a catalogue initiative id such as S2016-P2-03' }),
  status: lowerCodeOf(MILESTONE_STATUS_SYMBOLS),
  recordedAt: instant(),
  measure: z
    .strictObject({
      unit: lowerCodeOf(MEASURE_UNIT_SYMBOLS),
      quantity: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    })
    .optional(),
  notes: droppedText(),
});

export type InitiativeMilestone = z.output<typeof initiativeMilestoneSchema>;
