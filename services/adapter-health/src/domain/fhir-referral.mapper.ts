import type {
  ConsentScope,
  ConsentWithdrawn,
  Ministry,
  PopulationFlags,
  ReceivingServiceType,
  ReferralCreated,
  ReferralStatus,
  ReferralStatusChanged,
  ReferralStatusReason,
  Region,
  ServiceCategory,
  Urgency,
} from '@passerelle/schemas/generated';
import { defaultReason, makeEnvelope, mapConsentWithdrawal, referralSourceId, type MappingContext } from '@passerelle/adapter';
import { CODE_SYSTEMS, EXTENSIONS, ONTARIO_HCN_SYSTEM } from './fhir-codes.ts';
import {
  CONSENT_SCOPE_CODES,
  MINISTRY_CODES,
  RECEIVING_SERVICE_TYPE_CODES,
  SERVICE_CATEGORY_CODES,
  STATUS_REASON_CODES,
  targetOf,
  type ServiceRequest,
  type Task,
  type TaskStatus,
} from './fhir-resources.schema.ts';
import { EMPTY_REGION_MAP, resolveRegion, type RegionMap } from './region-map.ts';

type Concept = { coding?: readonly { system?: string | undefined; code?: string | undefined }[] | undefined };

/** The first code of `system` among the concepts' codings. */
function codeIn(concepts: readonly (Concept | undefined)[] | undefined, system: string): string | undefined {
  for (const concept of concepts ?? []) for (const c of concept?.coding ?? []) if (c.system === system && c.code) return c.code;
  return undefined;
}

function extensionCode(request: ServiceRequest, url: string): string | undefined {
  return request.extension?.find((ext) => ext.url === url)?.valueCode;
}

const PRIORITY_TO_URGENCY: Readonly<Record<string, Urgency>> = {
  routine: 'ROUTINE',
  urgent: 'PRIORITY',
  asap: 'URGENT',
  stat: 'EMERGENCY',
};

const TASK_STATUS_TO_REFERRAL: Readonly<Partial<Record<TaskStatus, Exclude<ReferralStatus, 'UNKNOWN'>>>> = {
  requested: 'REQUESTED',
  received: 'RECEIVED',
  accepted: 'ACCEPTED',
  rejected: 'DECLINED',
  'in-progress': 'IN_PROGRESS',
  'on-hold': 'ON_HOLD',
  completed: 'COMPLETED',
  cancelled: 'WITHDRAWN',
};

/**
 * The person reference to pseudonymise: the health card number when the subject carries one
 * (stable across health systems), else the Patient reference of the sending system.
 */
export function personOf(request: ServiceRequest): { system: string; id: string } {
  const identifier = request.subject.identifier;
  if (identifier?.system === ONTARIO_HCN_SYSTEM && identifier.value)
    return { system: ONTARIO_HCN_SYSTEM, id: identifier.value.slice(0, 10) };
  return { system: 'fhir-patient-reference', id: request.subject.reference ?? '' };
}

export const serviceRequestSourceId = (id: string): string => referralSourceId(`ServiceRequest/${id}`);

/** At-risk groups coded as reasons; a group not coded stays "not recorded" (null), never false. */
function populationFlagsOf(request: ServiceRequest): PopulationFlags {
  const groups = new Set(
    (request.reasonCode ?? []).flatMap((concept) =>
      (concept.coding ?? []).filter((c) => c.system === CODE_SYSTEMS.atRiskGroup).map((c) => c.code),
    ),
  );
  const flag = (code: string): boolean | null => (groups.has(code) ? true : null);
  return {
    indigenous: flag('indigenous'),
    youngWomen: flag('young-women'),
    youthAtRisk: flag('youth-at-risk'),
    youthInOrLeavingCare: flag('youth-in-or-leaving-care'),
    migrantWorkers: flag('migrant-workers'),
    mentalHealthOrAddictions: flag('mental-health-or-addictions'),
  };
}

/** The region the validation found: the extension's, else the one the region map gives the request's identifiers. */
export function regionOf(request: ServiceRequest, regions: RegionMap): Region {
  const resolution = resolveRegion(request, regions);
  return ((resolution.kind === 'extension' || resolution.kind === 'map') && resolution.region) || 'UNKNOWN';
}

/** Every element but id, status, intent and subject may be missing: each then maps to UNKNOWN, null or the receive time. */
export function mapServiceRequest(
  request: ServiceRequest,
  ids: { referralId: string; subjectPseudonym: string },
  ctx: MappingContext,
  regions: RegionMap = EMPTY_REGION_MAP,
): ReferralCreated {
  const category = codeIn([...(request.category ?? []), request.code], CODE_SYSTEMS.serviceCategory);
  const performer = codeIn([request.performerType], CODE_SYSTEMS.receivingServiceType);
  const consent = extensionCode(request, EXTENSIONS.consentScope);
  const receivingMinistry = extensionCode(request, EXTENSIONS.receivingMinistry);
  return {
    envelope: makeEnvelope(ctx, ids.referralId, request.authoredOn ?? request.meta?.lastUpdated ?? ctx.receivedAt),
    referralId: ids.referralId,
    subjectPseudonym: ids.subjectPseudonym,
    referringMinistry: 'HEALTH',
    receivingMinistry: (receivingMinistry && MINISTRY_CODES.get(receivingMinistry)) || (null satisfies Ministry | null),
    receivingServiceType: ((performer && RECEIVING_SERVICE_TYPE_CODES.get(performer)) || 'UNKNOWN') satisfies ReceivingServiceType,
    serviceCategory: ((category && SERVICE_CATEGORY_CODES.get(category)) || 'UNKNOWN') satisfies ServiceCategory,
    region: regionOf(request, regions),
    urgency: (request.priority ? PRIORITY_TO_URGENCY[request.priority] : undefined) ?? 'UNKNOWN',
    // A missing consent scope is read as the most restrictive one.
    consentScope: ((consent && CONSENT_SCOPE_CODES.get(consent)) || 'UNKNOWN') satisfies ConsentScope,
    populationFlags: populationFlagsOf(request),
    // Sealed by the acceptance, in the transaction that creates the referral's data key.
    sealedSubject: null,
  };
}

/** The referral a Task is about, as the allocator's source id or a Passerelle referralId. */
export function taskTarget(task: Task): { sourceId: string } | { referralId: string } {
  const target = targetOf(task);
  if (target && 'referralId' in target) return target;
  return { sourceId: serviceRequestSourceId(target?.serviceRequest ?? '') };
}

export function taskStatusOf(task: Task): {
  status: Exclude<ReferralStatus, 'UNKNOWN'>;
  reason: ReferralStatusReason;
  consentWithdrawn: boolean;
} {
  const status = TASK_STATUS_TO_REFERRAL[task.status] ?? 'REQUESTED';
  const code = codeIn([task.statusReason], CODE_SYSTEMS.statusReason);
  const reason = defaultReason(status, code ? STATUS_REASON_CODES.get(code) : undefined);
  return { status, reason, consentWithdrawn: status === 'WITHDRAWN' && reason === 'CONSENT_WITHDRAWN' };
}

/** A Task is one status change; cancelled for consent-withdrawn also withdraws consent, caused by that change. */
export function mapTask(
  task: Task,
  referralId: string,
  ctx: MappingContext,
): [ReferralStatusChanged] | [ReferralStatusChanged, ConsentWithdrawn] {
  const { status, reason, consentWithdrawn } = taskStatusOf(task);
  const occurredAt = task.lastModified ?? task.authoredOn ?? ctx.receivedAt;
  const changed: ReferralStatusChanged = { envelope: makeEnvelope(ctx, referralId, occurredAt), referralId, status, reasonCode: reason };
  if (!consentWithdrawn) return [changed];
  return [changed, mapConsentWithdrawal(occurredAt, referralId, ctx, changed.envelope.eventId)];
}

/** What makes a Task update the same update when resent: the Task, its status and its time. */
export function taskSourceKey(task: Task): string {
  return `task|${task.id}|${task.status}|${task.lastModified ?? task.authoredOn ?? ''}`;
}

/** The coded content of a Task update, without narrative, notes or owner. */
export function taskContent(task: Task): unknown {
  return { target: taskTarget(task), ...taskStatusOf(task), at: task.lastModified ?? task.authoredOn ?? null };
}

/** The coded content of a ServiceRequest: what the mapping reads, nothing else. */
export function serviceRequestContent(
  request: ServiceRequest,
  person: { system: string; id: string },
  regions: RegionMap = EMPTY_REGION_MAP,
): unknown {
  const resolution = resolveRegion(request, regions);
  return {
    // Only when the map gave it, so the content of a request carrying the extension is what it always was.
    ...(resolution.kind === 'map' ? { mappedRegion: resolution.region } : {}),
    id: request.id,
    person,
    priority: request.priority ?? null,
    category: codeIn([...(request.category ?? []), request.code], CODE_SYSTEMS.serviceCategory) ?? null,
    performer: codeIn([request.performerType], CODE_SYSTEMS.receivingServiceType) ?? null,
    extensions: Object.values(EXTENSIONS).map((url) => extensionCode(request, url) ?? null),
    groups: populationFlagsOf(request),
    at: request.authoredOn ?? null,
  };
}
