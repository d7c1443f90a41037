// Generated from schemas/avro/*.avsc by schemas/scripts/generate-types.ts.
// Do not edit: change the .avsc file and run `npm run schemas:generate`.

import type { ConsentWithdrawn } from './consent-withdrawn.ts';
import type { InitiativeMilestoneRecorded } from './initiative-milestone-recorded.ts';
import type { ReferralCreated } from './referral-created.ts';
import type { ReferralStatusChanged } from './referral-status-changed.ts';
import type { ServiceGapReported } from './service-gap-reported.ts';
import type { ServiceGapResolved } from './service-gap-resolved.ts';

export { CONSENT_SCOPE_SYMBOLS, CONSENT_SCOPE_DEFAULT } from './consent-scope.ts';
export type { ConsentScope } from './consent-scope.ts';
export { CONSENT_WITHDRAWN_FULL_NAME } from './consent-withdrawn.ts';
export type { ConsentWithdrawn } from './consent-withdrawn.ts';
export { ENVELOPE_FULL_NAME } from './envelope.ts';
export type { Envelope } from './envelope.ts';
export { GAP_SEVERITY_SYMBOLS, GAP_SEVERITY_DEFAULT } from './gap-severity.ts';
export type { GapSeverity } from './gap-severity.ts';
export { INITIATIVE_MILESTONE_RECORDED_FULL_NAME } from './initiative-milestone-recorded.ts';
export type { InitiativeMilestoneRecorded } from './initiative-milestone-recorded.ts';
export { MEASURE_UNIT_SYMBOLS, MEASURE_UNIT_DEFAULT } from './measure-unit.ts';
export type { MeasureUnit } from './measure-unit.ts';
export { MEASURE_FULL_NAME } from './measure.ts';
export type { Measure } from './measure.ts';
export { MILESTONE_STATUS_SYMBOLS, MILESTONE_STATUS_DEFAULT } from './milestone-status.ts';
export type { MilestoneStatus } from './milestone-status.ts';
export { MINISTRY_SYMBOLS, MINISTRY_DEFAULT } from './ministry.ts';
export type { Ministry } from './ministry.ts';
export { POPULATION_FLAGS_FULL_NAME } from './population-flags.ts';
export type { PopulationFlags } from './population-flags.ts';
export { RECEIVING_SERVICE_TYPE_SYMBOLS, RECEIVING_SERVICE_TYPE_DEFAULT } from './receiving-service-type.ts';
export type { ReceivingServiceType } from './receiving-service-type.ts';
export { REFERRAL_CREATED_FULL_NAME } from './referral-created.ts';
export type { ReferralCreated } from './referral-created.ts';
export { REFERRAL_STATUS_CHANGED_FULL_NAME } from './referral-status-changed.ts';
export type { ReferralStatusChanged } from './referral-status-changed.ts';
export { REFERRAL_STATUS_REASON_SYMBOLS, REFERRAL_STATUS_REASON_DEFAULT } from './referral-status-reason.ts';
export type { ReferralStatusReason } from './referral-status-reason.ts';
export { REFERRAL_STATUS_SYMBOLS, REFERRAL_STATUS_DEFAULT } from './referral-status.ts';
export type { ReferralStatus } from './referral-status.ts';
export { REGION_SYMBOLS, REGION_DEFAULT } from './region.ts';
export type { Region } from './region.ts';
export { SEAL_ALGORITHM_SYMBOLS, SEAL_ALGORITHM_DEFAULT } from './seal-algorithm.ts';
export type { SealAlgorithm } from './seal-algorithm.ts';
export { SEALED_SUBJECT_FULL_NAME } from './sealed-subject.ts';
export type { SealedSubject } from './sealed-subject.ts';
export { SERVICE_CATEGORY_SYMBOLS, SERVICE_CATEGORY_DEFAULT } from './service-category.ts';
export type { ServiceCategory } from './service-category.ts';
export { SERVICE_GAP_CODE_SYMBOLS, SERVICE_GAP_CODE_DEFAULT } from './service-gap-code.ts';
export type { ServiceGapCode } from './service-gap-code.ts';
export { SERVICE_GAP_REPORTED_FULL_NAME } from './service-gap-reported.ts';
export type { ServiceGapReported } from './service-gap-reported.ts';
export { SERVICE_GAP_RESOLUTION_SYMBOLS, SERVICE_GAP_RESOLUTION_DEFAULT } from './service-gap-resolution.ts';
export type { ServiceGapResolution } from './service-gap-resolution.ts';
export { SERVICE_GAP_RESOLVED_FULL_NAME } from './service-gap-resolved.ts';
export type { ServiceGapResolved } from './service-gap-resolved.ts';
export { URGENCY_SYMBOLS, URGENCY_DEFAULT } from './urgency.ts';
export type { Urgency } from './urgency.ts';

/** Every event type: the records whose first field is the envelope. */
export const EVENT_TYPE_NAMES = ['ConsentWithdrawn', 'InitiativeMilestoneRecorded', 'ReferralCreated', 'ReferralStatusChanged', 'ServiceGapReported', 'ServiceGapResolved'] as const;

export type EventTypeName = (typeof EVENT_TYPE_NAMES)[number];

/** The payload type of each event type. */
export interface EventPayloads {
  readonly ConsentWithdrawn: ConsentWithdrawn;
  readonly InitiativeMilestoneRecorded: InitiativeMilestoneRecorded;
  readonly ReferralCreated: ReferralCreated;
  readonly ReferralStatusChanged: ReferralStatusChanged;
  readonly ServiceGapReported: ServiceGapReported;
  readonly ServiceGapResolved: ServiceGapResolved;
}

/** Fully-qualified Avro name of each event type (its registry subject under RecordNameStrategy). */
export const EVENT_FULL_NAMES = {
  ConsentWithdrawn: 'ca.on.passerelle.v1.ConsentWithdrawn',
  InitiativeMilestoneRecorded: 'ca.on.passerelle.v1.InitiativeMilestoneRecorded',
  ReferralCreated: 'ca.on.passerelle.v1.ReferralCreated',
  ReferralStatusChanged: 'ca.on.passerelle.v1.ReferralStatusChanged',
  ServiceGapReported: 'ca.on.passerelle.v1.ServiceGapReported',
  ServiceGapResolved: 'ca.on.passerelle.v1.ServiceGapResolved',
} as const satisfies Record<EventTypeName, string>;
