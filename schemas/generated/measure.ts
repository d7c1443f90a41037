// Generated from schemas/avro/measure.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

import type { MeasureUnit } from './measure-unit.ts';

/** Fully-qualified Avro name of Measure. */
export const MEASURE_FULL_NAME = 'ca.on.passerelle.v1.Measure';

/** A measured quantity attached to a milestone, such as the number of people trained so far. */
export interface Measure {
  /** What the quantity counts. */
  readonly unit: MeasureUnit;
  /** The cumulative count at the time of the milestone; zero or more. */
  readonly quantity: number;
}
