import type { ReferralCreated, ServiceCategory } from '@passerelle/schemas/generated';
import { makeEnvelope, referralSourceId, toPopulationFlags, type MappingContext } from '@passerelle/adapter';
import type { SchoolBoardReferral, StudentSupport } from './school-board-referral.schema.ts';

const SUPPORT_TO_CATEGORY: Readonly<Record<StudentSupport, ServiceCategory>> = {
  guidance_counselling: 'TRAUMA_COUNSELLING',
  mental_health: 'MENTAL_HEALTH_AND_ADDICTIONS',
  safe_housing: 'HOUSING',
  child_protection: 'CHILD_PROTECTION',
  indigenous_support: 'INDIGENOUS_LED_SERVICE',
  academic_reengagement: 'EDUCATION_SUPPORT',
  victim_services: 'LEGAL_AND_VICTIM_WITNESS_SUPPORT',
  other: 'OTHER',
};

export const OEN_SYSTEM = 'on-education-number';

/** The OEN without its hyphens, so 123-456-789 and 123456789 are one student. */
export function personOf(referral: SchoolBoardReferral): { system: string; id: string } {
  return { system: OEN_SYSTEM, id: referral.student.oen.replace(/-/g, '') };
}

/** Where the referral id is kept: under the board's own referral id (board-prefixed by the boards). */
export function sourceIdOf(referral: Pick<SchoolBoardReferral, 'boardReferralId'>): string {
  return referralSourceId(referral.boardReferralId);
}

export function mapSchoolBoardReferral(
  referral: SchoolBoardReferral,
  ids: { referralId: string; subjectPseudonym: string },
  ctx: MappingContext,
): ReferralCreated {
  const flags = toPopulationFlags(referral.flags);
  return {
    envelope: makeEnvelope(ctx, ids.referralId, referral.referredOn),
    referralId: ids.referralId,
    subjectPseudonym: ids.subjectPseudonym,
    referringMinistry: 'EDUCATION',
    receivingMinistry: referral.referredTo.ministry ?? null,
    receivingServiceType: referral.referredTo.serviceType,
    serviceCategory: SUPPORT_TO_CATEGORY[referral.supportNeeded],
    region: referral.region,
    urgency: referral.urgency,
    consentScope: referral.consent,
    // A student referred by a school is a young person at risk unless the board says otherwise.
    populationFlags: { ...flags, youthAtRisk: flags.youthAtRisk ?? true },
    // Sealed by the acceptance, in the transaction that creates the referral's data key.
    sealedSubject: null,
  };
}

export function codedContentOf(referral: SchoolBoardReferral): unknown {
  return { ...referral, student: { oen: personOf(referral).id }, staffNotes: undefined, flags: toPopulationFlags(referral.flags) };
}
