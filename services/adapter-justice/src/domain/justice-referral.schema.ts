import { z } from 'zod';
import {
  CONSENT_SCOPE_SYMBOLS,
  MINISTRY_SYMBOLS,
  RECEIVING_SERVICE_TYPE_SYMBOLS,
  REGION_SYMBOLS,
  URGENCY_SYMBOLS,
} from '@passerelle/schemas/generated';
import { birthDate, csvFlag, dateOrInstant, droppedText, instant, lowerCodeOf, populationFlagsSchema, sourceId } from '@passerelle/adapter';

/** Justice's own words for the support a victim needs, mapped to ServiceCategory in the mapper. */
export const JUSTICE_SUPPORT_CODES = [
  'court_accompaniment',
  'counselling',
  'emergency_shelter',
  'housing',
  'addictions',
  'employment',
  'indigenous_services',
  'child_protection',
  'other',
] as const;
export type JusticeSupport = (typeof JUSTICE_SUPPORT_CODES)[number];

/** The justice program that makes the referral; it stays in the ministry (the event says JUSTICE). */
const program = z.enum(['vwap', 'court_support', 'victim_quick_response']);

const isoDate = birthDate('1999-04-02');

/**
 * A referral from the case-management system: a Victim/Witness Assistance Program or
 * court-support worker refers a victim to a service. Names, birth date, address, phone,
 * case number and notes are accepted (the system sends them) and never leave the adapter.
 */
export const justiceReferralSchema = z.strictObject({
  referralNumber: sourceId(),
  program,
  caseNumber: sourceId().optional(),
  victim: z.strictObject({
    personId: sourceId(),
    firstName: droppedText(200),
    lastName: droppedText(200),
    dateOfBirth: isoDate.optional(),
    address: z
      .strictObject({ line: droppedText(300), city: droppedText(100), postalCode: droppedText(10), province: droppedText(30) })
      .optional(),
    phone: droppedText(40),
  }),
  referredTo: z.strictObject({
    serviceType: lowerCodeOf(RECEIVING_SERVICE_TYPE_SYMBOLS),
    ministry: lowerCodeOf(MINISTRY_SYMBOLS).optional(),
  }),
  supportNeeded: z.enum(JUSTICE_SUPPORT_CODES),
  region: lowerCodeOf(REGION_SYMBOLS),
  urgency: lowerCodeOf(URGENCY_SYMBOLS),
  consent: lowerCodeOf(CONSENT_SCOPE_SYMBOLS),
  riskFactors: populationFlagsSchema.optional(),
  referredAt: instant(),
  notes: droppedText(),
});

export type JusticeReferral = z.output<typeof justiceReferralSchema>;

/** The columns of a batch upload; one row per referral. */
export const JUSTICE_BATCH_REQUIRED = [
  'referral_number',
  'program',
  'person_id',
  'receiving_service_type',
  'support_needed',
  'region',
  'urgency',
  'consent',
  'referred_at',
] as const;
export const JUSTICE_BATCH_OPTIONAL = [
  'case_number',
  'last_name',
  'first_name',
  'date_of_birth',
  'address',
  'receiving_ministry',
  'indigenous',
  'young_women',
  'youth_at_risk',
  'youth_in_or_leaving_care',
  'migrant_workers',
  'mental_health_or_addictions',
  'notes',
] as const;
export const JUSTICE_BATCH_FREE_TEXT = ['last_name', 'first_name', 'address', 'notes'] as const;

export const justiceBatchRowSchema = z.strictObject({
  referral_number: sourceId(),
  program,
  case_number: sourceId().optional(),
  person_id: sourceId(),
  last_name: droppedText(200),
  first_name: droppedText(200),
  date_of_birth: isoDate.optional(),
  address: droppedText(300),
  receiving_service_type: lowerCodeOf(RECEIVING_SERVICE_TYPE_SYMBOLS),
  receiving_ministry: lowerCodeOf(MINISTRY_SYMBOLS).optional(),
  support_needed: z.enum(JUSTICE_SUPPORT_CODES),
  region: lowerCodeOf(REGION_SYMBOLS),
  urgency: lowerCodeOf(URGENCY_SYMBOLS),
  consent: lowerCodeOf(CONSENT_SCOPE_SYMBOLS),
  indigenous: csvFlag,
  young_women: csvFlag,
  youth_at_risk: csvFlag,
  youth_in_or_leaving_care: csvFlag,
  migrant_workers: csvFlag,
  mental_health_or_addictions: csvFlag,
  referred_at: dateOrInstant(),
  notes: droppedText(),
});

export type JusticeBatchRow = z.output<typeof justiceBatchRowSchema>;

/** A batch row in the shape of a single JSON referral, so one mapper serves both doors. */
export function batchRowToReferral(row: JusticeBatchRow): JusticeReferral {
  return {
    referralNumber: row.referral_number,
    program: row.program,
    caseNumber: row.case_number,
    victim: { personId: row.person_id },
    referredTo: { serviceType: row.receiving_service_type, ministry: row.receiving_ministry },
    supportNeeded: row.support_needed,
    region: row.region,
    urgency: row.urgency,
    consent: row.consent,
    riskFactors: {
      indigenous: row.indigenous,
      youngWomen: row.young_women,
      youthAtRisk: row.youth_at_risk,
      youthInOrLeavingCare: row.youth_in_or_leaving_care,
      migrantWorkers: row.migrant_workers,
      mentalHealthOrAddictions: row.mental_health_or_addictions,
    },
    referredAt: row.referred_at,
  };
}
