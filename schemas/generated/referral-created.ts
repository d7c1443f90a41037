// Generated from schemas/avro/referral-created.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

import type { ConsentScope } from './consent-scope.ts';
import type { Envelope } from './envelope.ts';
import type { Ministry } from './ministry.ts';
import type { PopulationFlags } from './population-flags.ts';
import type { ReceivingServiceType } from './receiving-service-type.ts';
import type { Region } from './region.ts';
import type { SealedSubject } from './sealed-subject.ts';
import type { ServiceCategory } from './service-category.ts';
import type { Urgency } from './urgency.ts';

/** Fully-qualified Avro name of ReferralCreated. */
export const REFERRAL_CREATED_FULL_NAME = 'ca.on.passerelle.v1.ReferralCreated';

/**
 * A ministry referred a person to a service. Coded values only: the person appears solely as a
 * keyed pseudonym.
 */
export interface ReferralCreated {
  /** Identity, time, provenance and trace context of this event. */
  readonly envelope: Envelope;
  /**
   * Random UUID of the referral, chosen by the referring adapter; the message key of every
   * referral event.
   */
  readonly referralId: string;
  /**
   * HMAC-SHA-256 (64 lowercase hex digits) computed by the referring ministry's adapter with its
   * own secret key: stable within that ministry, meaningless outside it.
   */
  readonly subjectPseudonym: string;
  /** The ministry that makes the referral. */
  readonly referringMinistry: Ministry;
  /**
   * The ministry whose program receives the referral; null when the receiver is not a ministry
   * program (see receivingServiceType).
   */
  readonly receivingMinistry: null | Ministry;
  /** The kind of organisation that receives the referral. */
  readonly receivingServiceType: ReceivingServiceType;
  /** The kind of support asked for. */
  readonly serviceCategory: ServiceCategory;
  /** The region where the service is to be delivered. */
  readonly region: Region;
  /** How soon the receiving service should act. */
  readonly urgency: Urgency;
  /**
   * What the person agreed to share; governs who may see person-level data derived from this
   * referral.
   */
  readonly consentScope: ConsentScope;
  /** Membership of the at-risk groups the strategy identifies, each flag optional. */
  readonly populationFlags: PopulationFlags;
  /**
   * When present, the real subjectPseudonym and populationFlags, encrypted under the referral's
   * data key; the plaintext fields then hold placeholders (64 zeros, every flag null). Adapters
   * always seal; null only in events written before sealing existed.
   */
  readonly sealedSubject: null | SealedSubject;
}
