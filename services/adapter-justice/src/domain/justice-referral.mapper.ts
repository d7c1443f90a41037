import type { ReferralCreated, ServiceCategory } from '@passerelle/schemas/generated';
import { makeEnvelope, referralSourceId, toPopulationFlags, type MappingContext } from '@passerelle/adapter';
import type { JusticeReferral, JusticeSupport } from './justice-referral.schema.ts';

const SUPPORT_TO_CATEGORY: Readonly<Record<JusticeSupport, ServiceCategory>> = {
  court_accompaniment: 'LEGAL_AND_VICTIM_WITNESS_SUPPORT',
  counselling: 'TRAUMA_COUNSELLING',
  emergency_shelter: 'EMERGENCY_TRAVEL_AND_SHELTER_FUNDING',
  housing: 'HOUSING',
  addictions: 'MENTAL_HEALTH_AND_ADDICTIONS',
  employment: 'JOB_AND_LANGUAGE_TRAINING',
  indigenous_services: 'INDIGENOUS_LED_SERVICE',
  child_protection: 'CHILD_PROTECTION',
  other: 'OTHER',
};

/** The identifier system of justice person ids; part of the pseudonym's input so ids of other systems never collide. */
export const JUSTICE_PERSON_SYSTEM = 'on-justice-person-id';

/** The person reference to pseudonymise: justice's own person id, never a name or birth date. */
export function personOf(referral: JusticeReferral): { system: string; id: string } {
  return { system: JUSTICE_PERSON_SYSTEM, id: referral.victim.personId };
}

/** Where this record's referral id is kept: under its referral number. */
export function sourceIdOf(referral: JusticeReferral): string {
  return referralSourceId(referral.referralNumber);
}

/** Coded values only: names, birth date, address, case number and notes are left behind. */
export function mapJusticeReferral(
  referral: JusticeReferral,
  ids: { referralId: string; subjectPseudonym: string },
  ctx: MappingContext,
): ReferralCreated {
  return {
    envelope: makeEnvelope(ctx, ids.referralId, referral.referredAt),
    referralId: ids.referralId,
    subjectPseudonym: ids.subjectPseudonym,
    referringMinistry: 'JUSTICE',
    receivingMinistry: referral.referredTo.ministry ?? null,
    receivingServiceType: referral.referredTo.serviceType,
    serviceCategory: SUPPORT_TO_CATEGORY[referral.supportNeeded],
    region: referral.region,
    urgency: referral.urgency,
    consentScope: referral.consent,
    populationFlags: toPopulationFlags(referral.riskFactors),
    // Sealed by the acceptance, in the transaction that creates the referral's data key.
    sealedSubject: null,
  };
}

/** The coded part of a referral, whichever door it came through: the fingerprint of "the same referral". */
export function codedContentOf(referral: JusticeReferral): unknown {
  return {
    ...referral,
    victim: { personId: referral.victim.personId },
    notes: undefined,
    riskFactors: toPopulationFlags(referral.riskFactors),
  };
}
