import { z } from 'zod';
import type { PopulationFlags } from '@passerelle/schemas/generated';
import { optionalFlag } from '../native-fields.ts';

/** The strategy's at-risk groups as a JSON object of optional booleans; a missing flag means "not recorded". */
export const populationFlagsSchema = z.strictObject({
  indigenous: optionalFlag,
  youngWomen: optionalFlag,
  youthAtRisk: optionalFlag,
  youthInOrLeavingCare: optionalFlag,
  migrantWorkers: optionalFlag,
  mentalHealthOrAddictions: optionalFlag,
});

export type NativePopulationFlags = z.output<typeof populationFlagsSchema>;

export const NO_FLAGS: PopulationFlags = {
  indigenous: null,
  youngWomen: null,
  youthAtRisk: null,
  youthInOrLeavingCare: null,
  migrantWorkers: null,
  mentalHealthOrAddictions: null,
};

export function toPopulationFlags(flags: NativePopulationFlags | undefined): PopulationFlags {
  return {
    indigenous: flags?.indigenous ?? null,
    youngWomen: flags?.youngWomen ?? null,
    youthAtRisk: flags?.youthAtRisk ?? null,
    youthInOrLeavingCare: flags?.youthInOrLeavingCare ?? null,
    migrantWorkers: flags?.migrantWorkers ?? null,
    mentalHealthOrAddictions: flags?.mentalHealthOrAddictions ?? null,
  };
}
