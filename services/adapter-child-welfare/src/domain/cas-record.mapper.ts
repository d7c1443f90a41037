import type { ConsentWithdrawn, ReferralCreated, ReferralStatusChanged, Urgency } from '@passerelle/schemas/generated';
import {
  makeEnvelope,
  mapConsentWithdrawal,
  mapStatusChange,
  referralSourceId,
  type MappingContext,
  type StatusChange,
} from '@passerelle/adapter';
import type { CasExportRow, CasReferral, LegalStatus, ResponseTime } from './cas-record.schema.ts';

const RESPONSE_TIME_TO_URGENCY: Readonly<Record<ResponseTime, Urgency>> = {
  immediate: 'EMERGENCY',
  '12_hours': 'URGENT',
  '7_days': 'PRIORITY',
  '21_days': 'ROUTINE',
};

const IN_OR_LEAVING_CARE: ReadonlySet<LegalStatus> = new Set(['in_care', 'leaving_care', 'customary_care']);

export const CW_CHILD_SYSTEM = 'on-cas-child-id';

/** Child ids are unique within a society only: the society code is part of the person reference. */
export function personOf(referral: Pick<CasReferral, 'agencyCode' | 'child'>): { system: string; id: string } {
  return { system: CW_CHILD_SYSTEM, id: `${referral.agencyCode}/${referral.child.childId}` };
}

export function sourceIdOf(casReference: string): string {
  return referralSourceId(casReference);
}

export function mapCasReferral(
  referral: CasReferral,
  ids: { referralId: string; subjectPseudonym: string },
  ctx: MappingContext,
): ReferralCreated {
  return {
    envelope: makeEnvelope(ctx, ids.referralId, referral.referralDate),
    referralId: ids.referralId,
    subjectPseudonym: ids.subjectPseudonym,
    referringMinistry: 'CHILD_WELFARE',
    receivingMinistry: referral.receivingMinistry ?? null,
    receivingServiceType: referral.receivingServiceType,
    serviceCategory: referral.serviceRequested,
    region: referral.region,
    urgency: RESPONSE_TIME_TO_URGENCY[referral.responseTime],
    consentScope: referral.consentScope,
    populationFlags: {
      indigenous: referral.indigenousIdentity ?? null,
      youngWomen: referral.youngWoman ?? null,
      // Every child a society refers is a young person the strategy counts as at risk.
      youthAtRisk: true,
      youthInOrLeavingCare: IN_OR_LEAVING_CARE.has(referral.legalStatus),
      migrantWorkers: null,
      mentalHealthOrAddictions: null,
    },
    // Sealed by the acceptance, in the transaction that creates the referral's data key.
    sealedSubject: null,
  };
}

/** A referral row of an export in the shape of a single JSON record (the schema made sure its columns are there). */
export function rowToReferral(row: CasExportRow): CasReferral {
  return {
    agencyCode: row.agency_code,
    casReference: row.cas_reference,
    child: { childId: row.child_id ?? '' },
    legalStatus: row.legal_status ?? 'in_community',
    serviceRequested: row.service_requested ?? 'OTHER',
    receivingServiceType: row.receiving_service_type ?? 'OTHER',
    receivingMinistry: row.receiving_ministry,
    region: row.region ?? 'PROVINCE_WIDE',
    responseTime: row.response_time ?? '21_days',
    consentScope: row.consent_scope ?? 'AGGREGATE_ONLY',
    indigenousIdentity: row.indigenous_identity,
    youngWoman: row.young_woman,
    referralDate: row.event_date,
  };
}

export function mapCasStatusRow(row: CasExportRow, referralId: string, ctx: MappingContext): ReferralStatusChanged {
  return mapStatusChange(statusOfRow(row), referralId, ctx);
}

export function mapCasConsentWithdrawalRow(row: CasExportRow, referralId: string, ctx: MappingContext): ConsentWithdrawn {
  return mapConsentWithdrawal(row.event_date, referralId, ctx);
}

/** The status change a status row records. */
export function statusOfRow(row: CasExportRow): StatusChange {
  return { status: row.status ?? 'REQUESTED', reason: row.status_reason, changedAt: row.event_date };
}

/** The coded part of a referral, whichever door it came through: the fingerprint of "the same referral". */
export function codedContentOf(referral: CasReferral): unknown {
  return {
    ...referral,
    child: { childId: referral.child.childId },
    indigenousIdentity: referral.indigenousIdentity ?? null,
    youngWoman: referral.youngWoman ?? null,
    workerNotes: undefined,
  };
}
