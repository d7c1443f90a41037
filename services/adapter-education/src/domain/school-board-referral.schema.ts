import { z } from 'zod';
import {
  CONSENT_SCOPE_SYMBOLS,
  MINISTRY_SYMBOLS,
  RECEIVING_SERVICE_TYPE_SYMBOLS,
  REGION_SYMBOLS,
  URGENCY_SYMBOLS,
} from '@passerelle/schemas/generated';
import { birthDate, droppedText, instant, lowerCodeOf, populationFlagsSchema, sourceId } from '@passerelle/adapter';

/** School boards' words for the support a student needs; ServiceCategory in the mapper. */
export const STUDENT_SUPPORTS = [
  'guidance_counselling',
  'mental_health',
  'safe_housing',
  'child_protection',
  'indigenous_support',
  'academic_reengagement',
  'victim_services',
  'other',
] as const;
export type StudentSupport = (typeof STUDENT_SUPPORTS)[number];

/**
 * A student-support referral from a school board's student information system. The Ontario
 * Education Number is the person reference (pseudonymised); names, birth date, home address,
 * grade and staff notes stay behind.
 */
export const schoolBoardReferralSchema = z.strictObject({
  boardNumber: z.string().regex(/^B\d{5}$/, { error: 'must be a Ministry of Education board number such as B66052' }),
  schoolNumber: z
    .string()
    .regex(/^\d{6}$/, { error: 'must be a six-digit school number' })
    .optional(),
  boardReferralId: sourceId(),
  student: z.strictObject({
    oen: z
      .string()
      .regex(/^\d{3}-?\d{3}-?\d{3}$/, { error: 'must be an Ontario Education Number: nine digits, optionally as 123-456-789' }),
    legalFirstName: droppedText(200),
    legalLastName: droppedText(200),
    dateOfBirth: birthDate('2009-06-30').optional(),
    homeAddress: droppedText(300),
    grade: z.number().int().min(0).max(12).optional(),
  }),
  referredTo: z.strictObject({
    serviceType: lowerCodeOf(RECEIVING_SERVICE_TYPE_SYMBOLS),
    ministry: lowerCodeOf(MINISTRY_SYMBOLS).optional(),
  }),
  supportNeeded: z.enum(STUDENT_SUPPORTS),
  region: lowerCodeOf(REGION_SYMBOLS),
  urgency: lowerCodeOf(URGENCY_SYMBOLS),
  consent: lowerCodeOf(CONSENT_SCOPE_SYMBOLS),
  flags: populationFlagsSchema.optional(),
  referredOn: instant(),
  staffNotes: droppedText(),
});

export type SchoolBoardReferral = z.output<typeof schoolBoardReferralSchema>;
