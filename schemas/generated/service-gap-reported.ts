// Generated from schemas/avro/service-gap-reported.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

import type { Envelope } from './envelope.ts';
import type { GapSeverity } from './gap-severity.ts';
import type { PopulationFlags } from './population-flags.ts';
import type { Region } from './region.ts';
import type { ServiceCategory } from './service-category.ts';
import type { ServiceGapCode } from './service-gap-code.ts';

/** Fully-qualified Avro name of ServiceGapReported. */
export const SERVICE_GAP_REPORTED_FULL_NAME = 'ca.on.passerelle.v1.ServiceGapReported';

/** A ministry observed that survivors cannot get a kind of service in a region. */
export interface ServiceGapReported {
  /** Identity, time, provenance and trace context of this event. */
  readonly envelope: Envelope;
  /** Random UUID of the gap, chosen by the reporting adapter; the message key of every gap event. */
  readonly gapId: string;
  /** Where the gap is observed. */
  readonly region: Region;
  /** The kind of support that is missing. */
  readonly serviceCategory: ServiceCategory;
  /** How badly the gap affects survivors. */
  readonly severity: GapSeverity;
  /** What is missing or what stands in the way, as a code. */
  readonly gapCode: ServiceGapCode;
  /** The at-risk groups the gap affects, each flag optional. */
  readonly affectedPopulations: PopulationFlags;
}
