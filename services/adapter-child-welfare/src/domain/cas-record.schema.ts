import { z } from 'zod';
import {
  CONSENT_SCOPE_SYMBOLS,
  MINISTRY_SYMBOLS,
  RECEIVING_SERVICE_TYPE_SYMBOLS,
  REFERRAL_STATUS_REASON_SYMBOLS,
  REFERRAL_STATUS_SYMBOLS,
  REGION_SYMBOLS,
  SERVICE_CATEGORY_SYMBOLS,
} from '@passerelle/schemas/generated';
import { birthDate, csvFlag, dateOrInstant, droppedText, lowerCodeOf, optionalFlag, sourceId } from '@passerelle/adapter';

/** A child's legal status with the society; "in care" and "leaving care" set youthInOrLeavingCare. */
export const LEGAL_STATUSES = ['in_care', 'leaving_care', 'customary_care', 'in_community', 'kinship_service'] as const;
export type LegalStatus = (typeof LEGAL_STATUSES)[number];

/** Response times of the Ontario Child Protection Standards, mapped to Urgency in the mapper. */
export const RESPONSE_TIMES = ['immediate', '12_hours', '7_days', '21_days'] as const;
export type ResponseTime = (typeof RESPONSE_TIMES)[number];

const isoDate = birthDate('2009-06-30');

/**
 * One referral as a society's case system records it (POST /referrals). casReference carries
 * the society's prefix, so it is unique across societies. The child's names, birth date and
 * address and the worker's notes are accepted and left behind.
 */
export const casReferralSchema = z.strictObject({
  agencyCode: z.string().regex(/^[A-Z][A-Z0-9]{1,9}$/, { error: 'must be the society code in capitals, such as CAST' }),
  casReference: sourceId(),
  child: z.strictObject({
    childId: sourceId(),
    givenName: droppedText(200),
    familyName: droppedText(200),
    birthDate: isoDate.optional(),
    address: droppedText(300),
  }),
  legalStatus: z.enum(LEGAL_STATUSES),
  serviceRequested: lowerCodeOf(SERVICE_CATEGORY_SYMBOLS),
  receivingServiceType: lowerCodeOf(RECEIVING_SERVICE_TYPE_SYMBOLS),
  receivingMinistry: lowerCodeOf(MINISTRY_SYMBOLS).optional(),
  region: lowerCodeOf(REGION_SYMBOLS),
  responseTime: z.enum(RESPONSE_TIMES),
  consentScope: lowerCodeOf(CONSENT_SCOPE_SYMBOLS),
  indigenousIdentity: optionalFlag,
  youngWoman: optionalFlag,
  referralDate: dateOrInstant(),
  workerNotes: droppedText(),
});

export type CasReferral = z.output<typeof casReferralSchema>;

/** The columns of a society's export; `record_type` says which of them a row must fill. */
export const CAS_EXPORT_REQUIRED = ['record_type', 'agency_code', 'cas_reference', 'event_date'] as const;
export const CAS_EXPORT_OPTIONAL = [
  'child_id',
  'child_given_name',
  'child_family_name',
  'child_birth_date',
  'child_address',
  'legal_status',
  'service_requested',
  'receiving_service_type',
  'receiving_ministry',
  'region',
  'response_time',
  'consent_scope',
  'indigenous_identity',
  'young_woman',
  'status',
  'status_reason',
  'worker_notes',
] as const;
export const CAS_EXPORT_FREE_TEXT = ['child_given_name', 'child_family_name', 'child_address', 'worker_notes'] as const;

/** Columns a row must fill, by record type. */
const REQUIRED_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  referral: ['child_id', 'legal_status', 'service_requested', 'receiving_service_type', 'region', 'response_time', 'consent_scope'],
  status: ['status'],
  consent_withdrawal: [],
};

export const casExportRowSchema = z
  .strictObject({
    record_type: z.enum(['referral', 'status', 'consent_withdrawal']),
    agency_code: z.string().regex(/^[A-Z][A-Z0-9]{1,9}$/, { error: 'must be the society code in capitals, such as CAST' }),
    cas_reference: sourceId(),
    event_date: dateOrInstant(),
    child_id: sourceId().optional(),
    child_given_name: droppedText(200),
    child_family_name: droppedText(200),
    child_birth_date: isoDate.optional(),
    child_address: droppedText(300),
    legal_status: z.enum(LEGAL_STATUSES).optional(),
    service_requested: lowerCodeOf(SERVICE_CATEGORY_SYMBOLS).optional(),
    receiving_service_type: lowerCodeOf(RECEIVING_SERVICE_TYPE_SYMBOLS).optional(),
    receiving_ministry: lowerCodeOf(MINISTRY_SYMBOLS).optional(),
    region: lowerCodeOf(REGION_SYMBOLS).optional(),
    response_time: z.enum(RESPONSE_TIMES).optional(),
    consent_scope: lowerCodeOf(CONSENT_SCOPE_SYMBOLS).optional(),
    indigenous_identity: csvFlag,
    young_woman: csvFlag,
    status: lowerCodeOf(REFERRAL_STATUS_SYMBOLS).optional(),
    status_reason: lowerCodeOf(REFERRAL_STATUS_REASON_SYMBOLS).optional(),
    worker_notes: droppedText(),
  })
  .superRefine(
    (row, ctx) => {
      for (const column of REQUIRED_BY_TYPE[row.record_type] ?? []) {
        if ((row as Record<string, unknown>)[column] === undefined)
          ctx.addIssue({ code: 'custom', path: [column], message: `is required when record_type is ${row.record_type}` });
      }
      // Runs even when other columns failed, so one answer names every problem of the row.
    },
    { when: () => true },
  );

export type CasExportRow = z.output<typeof casExportRowSchema>;
