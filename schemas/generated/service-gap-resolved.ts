// Generated from schemas/avro/service-gap-resolved.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

import type { Envelope } from './envelope.ts';
import type { ServiceGapResolution } from './service-gap-resolution.ts';

/** Fully-qualified Avro name of ServiceGapResolved. */
export const SERVICE_GAP_RESOLVED_FULL_NAME = 'ca.on.passerelle.v1.ServiceGapResolved';

/** A previously reported service gap was closed. */
export interface ServiceGapResolved {
  /** Identity, time, provenance and trace context of this event. */
  readonly envelope: Envelope;
  /** The gap that was closed. */
  readonly gapId: string;
  /** How the gap was closed. */
  readonly resolution: ServiceGapResolution;
}
