// Generated from schemas/avro/initiative-milestone-recorded.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

import type { Envelope } from './envelope.ts';
import type { Measure } from './measure.ts';
import type { MilestoneStatus } from './milestone-status.ts';

/** Fully-qualified Avro name of InitiativeMilestoneRecorded. */
export const INITIATIVE_MILESTONE_RECORDED_FULL_NAME = 'ca.on.passerelle.v1.InitiativeMilestoneRecorded';

/** The ministry leading a strategy initiative recorded its progress. */
export interface InitiativeMilestoneRecorded {
  /** Identity, time, provenance and trace context of this event. */
  readonly envelope: Envelope;
  /**
   * Id of the initiative in schemas/catalogue/strategies.json, such as S2016-P2-03; the message
   * key.
   */
  readonly initiativeId: string;
  /** Where the initiative stands. */
  readonly status: MilestoneStatus;
  /** A measured quantity where one applies, such as people trained; null otherwise. */
  readonly measure: null | Measure;
}
