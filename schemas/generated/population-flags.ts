// Generated from schemas/avro/population-flags.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

/** Fully-qualified Avro name of PopulationFlags. */
export const POPULATION_FLAGS_FULL_NAME = 'ca.on.passerelle.v1.PopulationFlags';

/**
 * The groups the 2016 strategy identifies as most at risk of trafficking. On a referral each flag
 * says whether the referred person belongs to the group; on a service gap, whether the gap affects
 * the group. Each flag is optional: null means not recorded, which is not the same as false. A new
 * group is a new optional flag, which stays compatible.
 */
export interface PopulationFlags {
  /** First Nations, Inuit or Métis. Null when not recorded. */
  readonly indigenous: null | boolean;
  /** Young women and girls. Null when not recorded. */
  readonly youngWomen: null | boolean;
  /** Youth at risk. Null when not recorded. */
  readonly youthAtRisk: null | boolean;
  /** Youth in the care of a children's aid society, or leaving it. Null when not recorded. */
  readonly youthInOrLeavingCare: null | boolean;
  /** Migrant workers, including temporary foreign workers. Null when not recorded. */
  readonly migrantWorkers: null | boolean;
  /** People living with mental health or addiction challenges. Null when not recorded. */
  readonly mentalHealthOrAddictions: null | boolean;
}
