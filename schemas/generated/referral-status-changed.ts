// Generated from schemas/avro/referral-status-changed.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

import type { Envelope } from './envelope.ts';
import type { ReferralStatusReason } from './referral-status-reason.ts';
import type { ReferralStatus } from './referral-status.ts';

/** Fully-qualified Avro name of ReferralStatusChanged. */
export const REFERRAL_STATUS_CHANGED_FULL_NAME = 'ca.on.passerelle.v1.ReferralStatusChanged';

/** A referral moved to a new status. May reach a consumer before the ReferralCreated it refers to. */
export interface ReferralStatusChanged {
  /** Identity, time, provenance and trace context of this event. */
  readonly envelope: Envelope;
  /** The referral whose status changed. */
  readonly referralId: string;
  /** The status the referral has from occurredAt on. */
  readonly status: ReferralStatus;
  /** Why the status changed. */
  readonly reasonCode: ReferralStatusReason;
}
