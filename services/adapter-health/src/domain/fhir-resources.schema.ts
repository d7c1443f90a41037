import { z } from 'zod';
import {
  CONSENT_SCOPE_SYMBOLS,
  MINISTRY_SYMBOLS,
  RECEIVING_SERVICE_TYPE_SYMBOLS,
  REFERRAL_STATUS_REASON_SYMBOLS,
  REGION_SYMBOLS,
  SERVICE_CATEGORY_SYMBOLS,
} from '@passerelle/schemas/generated';
import { fieldPath, isRealCalendarDay, whenObject, withinTimeWindow } from '@passerelle/adapter';
import { CODE_SYSTEMS, EXTENSIONS, ONTARIO_HCN_SYSTEM, PASSERELLE_REFERRAL_ID_SYSTEM, codeTable, fhirCodeOf } from './fhir-codes.ts';
import { EMPTY_REGION_MAP, resolveRegion, type RegionMap } from './region-map.ts';

/** Elements health systems send that Passerelle reads; every other FHIR element is allowed and ignored. */
const text = z.string().max(10_000);
const coding = z.looseObject({ system: z.string().max(500).optional(), code: z.string().max(200).optional(), display: text.optional() });
const codeableConcept = z.looseObject({ coding: z.array(coding).max(50).optional(), text: text.optional() });
const identifier = z.looseObject({ system: z.string().max(500).optional(), value: z.string().max(200).optional() });
const reference = z.looseObject({ reference: z.string().max(500).optional(), identifier: identifier.optional(), display: text.optional() });
const extension = z.looseObject({ url: z.string().max(500), valueCode: z.string().max(200).optional() });

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const FHIR_DATE_TIME = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

/** A FHIR dateTime (possibly partial: 2025, 2025-03, 2025-03-01) as the first millisecond it covers. */
const fhirDateTime = z
  .string()
  .regex(FHIR_DATE_TIME, { error: 'must be a FHIR dateTime such as 2025-03-01T09:30:00-05:00' })
  .refine((value) => isRealCalendarDay(value) && !/T(2[4-9]|[3-9]\d):/.test(value), { error: 'is not a real date' })
  .transform((value) =>
    Date.parse(
      value.length === 4
        ? `${value}-01-01T00:00:00Z`
        : value.length === 7
          ? `${value}-01T00:00:00Z`
          : value.length === 10
            ? `${value}T00:00:00Z`
            : value,
    ),
  )
  .refine((ms) => Number.isFinite(ms), { error: 'is not a real date' })
  .superRefine(withinTimeWindow('occurrence'));

export const REQUEST_INTENTS = [
  'proposal',
  'plan',
  'directive',
  'order',
  'original-order',
  'reflex-order',
  'filler-order',
  'instance-order',
  'option',
] as const;
export const TASK_STATUSES = [
  'draft',
  'requested',
  'received',
  'accepted',
  'rejected',
  'ready',
  'cancelled',
  'in-progress',
  'on-hold',
  'failed',
  'completed',
  'entered-in-error',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const PRIORITIES = ['routine', 'urgent', 'asap', 'stat'] as const;

export const SERVICE_CATEGORY_CODES = codeTable(SERVICE_CATEGORY_SYMBOLS);
export const RECEIVING_SERVICE_TYPE_CODES = codeTable(RECEIVING_SERVICE_TYPE_SYMBOLS);
export const STATUS_REASON_CODES = codeTable(REFERRAL_STATUS_REASON_SYMBOLS);
export const REGION_CODES = codeTable(REGION_SYMBOLS);
export const CONSENT_SCOPE_CODES = codeTable(CONSENT_SCOPE_SYMBOLS);
export const MINISTRY_CODES = codeTable(MINISTRY_SYMBOLS);
export const AT_RISK_GROUPS = [
  'indigenous',
  'young-women',
  'youth-at-risk',
  'youth-in-or-leaving-care',
  'migrant-workers',
  'mental-health-or-addictions',
] as const;

type Ctx = z.RefinementCtx;

/** Codings of our code systems must use known codes; codings of other systems are ignored. */
function checkCodings(
  concepts: readonly (z.output<typeof codeableConcept> | undefined)[] | undefined,
  path: string,
  system: string,
  known: { has(code: string): boolean },
  ctx: Ctx,
): void {
  if (!Array.isArray(concepts)) return;
  // A single CodeableConcept is checked as a list of one, and named without an index.
  const single = !['category', 'reasonCode'].includes(path);
  concepts.forEach((concept, i) => {
    if (!Array.isArray(concept?.coding)) return;
    (concept.coding as readonly { system?: string; code?: string }[]).forEach((c, j) => {
      if (typeof c === 'object' && c !== null && c.system === system && (typeof c.code !== 'string' || !known.has(c.code))) {
        ctx.addIssue({
          code: 'custom',
          path: single ? [path, 'coding', j, 'code'] : [path, i, 'coding', j, 'code'],
          message: `is not a code of ${system}`,
        });
      }
    });
  });
}

/** The codes each Passerelle extension's `valueCode` may take, and the code system they belong to. */
export const EXTENSION_VALUE_CODES: Readonly<Record<string, { readonly system: string; readonly codes: ReadonlyMap<string, string> }>> = {
  [EXTENSIONS.region]: { system: CODE_SYSTEMS.region, codes: REGION_CODES },
  [EXTENSIONS.consentScope]: { system: CODE_SYSTEMS.consentScope, codes: CONSENT_SCOPE_CODES },
  [EXTENSIONS.receivingMinistry]: { system: CODE_SYSTEMS.ministry, codes: MINISTRY_CODES },
};

function checkExtensions(extensions: readonly z.output<typeof extension>[] | undefined, ctx: Ctx): void {
  if (!Array.isArray(extensions)) return;
  extensions.forEach((ext, i) => {
    const table = typeof ext === 'object' && ext !== null ? EXTENSION_VALUE_CODES[ext.url]?.codes : undefined;
    if (table && (ext.valueCode === undefined || !table.has(ext.valueCode))) {
      ctx.addIssue({ code: 'custom', path: ['extension', i, 'valueCode'], message: `must be one of ${[...table.keys()].join(', ')}` });
    }
  });
}

const serviceRequestShape = z.looseObject({
  resourceType: z.literal('ServiceRequest'),
  id: z.string().regex(FHIR_ID, { error: 'must be a FHIR id (letters, digits, - and ., up to 64)' }),
  status: z.enum(['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown']),
  intent: z.enum(REQUEST_INTENTS),
  priority: z.enum(PRIORITIES).optional(),
  category: z.array(codeableConcept).max(20).optional(),
  code: codeableConcept.optional(),
  subject: reference,
  requester: reference.optional(),
  performerType: codeableConcept.optional(),
  performer: z.array(reference).max(20).optional(),
  locationReference: z.array(reference).max(20).optional(),
  contained: z
    .array(z.looseObject({ resourceType: z.string().max(64), id: z.string().max(64).optional() }))
    .max(50)
    .optional(),
  authoredOn: fhirDateTime.optional(),
  reasonCode: z.array(codeableConcept).max(20).optional(),
  extension: z.array(extension).max(50).optional(),
  meta: z.looseObject({ lastUpdated: fhirDateTime.optional() }).optional(),
});

/** The region check: one region, from the extension or else from the map, never two. */
function checkRegion(request: unknown, regions: RegionMap, ctx: Ctx): void {
  const resolution = resolveRegion(request, regions);
  switch (resolution.kind) {
    case 'extension':
      for (const i of resolution.duplicates)
        ctx.addIssue({
          code: 'custom',
          path: ['extension', i],
          message: `is a second ${EXTENSIONS.region} extension: a referral has one region, sent once`,
        });
      return;
    case 'map':
      return;
    case 'conflict': {
      const regionsFound = [...new Set(resolution.matches.map((match) => fhirCodeOf(match.region)))].join(' and ');
      for (const match of resolution.matches)
        ctx.addIssue({
          code: 'custom',
          path: [...match.path],
          message: `maps to region ${fhirCodeOf(match.region)} in the region map, while the request's identifiers map to ${regionsFound}: the region is ambiguous; send the ${EXTENSIONS.region} extension`,
        });
      return;
    }
    case 'none':
      // The view counts, routes and reports gaps by region: a referral without one could not be shown, so it is refused here rather than dead-lettered downstream.
      ctx.addIssue({
        code: 'custom',
        path: ['extension'],
        message: `needs the ${EXTENSIONS.region} extension, or a requester, location or performer identifier the region map names: every referral is counted and routed by region`,
      });
      return;
  }
}

/**
 * A referral as health systems send it: a FHIR R4 ServiceRequest. Required: id, status
 * (active), intent, subject, and a region (the service-region extension, or an identifier the
 * region map names). Everything else is optional and read only through codings of Passerelle's
 * code systems and extensions; names, narrative and notes are never read.
 */
export function serviceRequestSchemaWith(regions: RegionMap) {
  return serviceRequestShape.superRefine(
    (request, ctx) => {
      // Runs even when elements failed their own checks, so one answer names every problem;
      // each check below looks only at elements that have the right shape.
      if (
        request.status !== 'active' &&
        typeof request.status === 'string' &&
        ['draft', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown'].includes(request.status)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['status'],
          message: 'must be active: a referral starts as an active ServiceRequest; later changes come as Task resources',
        });
      }
      const subject = request.subject as z.output<typeof reference> | undefined;
      if (typeof subject === 'object' && subject !== null) {
        const hcn = subject.identifier?.system === ONTARIO_HCN_SYSTEM;
        if (hcn && !/^\d{10}([A-Z]{2})?$/.test(String(subject.identifier?.value ?? ''))) {
          ctx.addIssue({
            code: 'custom',
            path: ['subject', 'identifier', 'value'],
            message: 'must be an Ontario health card number: 10 digits and an optional 2-letter version code',
          });
        }
        if (!hcn && !/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(String(subject.reference ?? ''))) {
          ctx.addIssue({
            code: 'custom',
            path: ['subject'],
            message: `needs an identifier of ${ONTARIO_HCN_SYSTEM} or a reference Patient/<id>`,
          });
        }
      }
      checkCodings(request.category, 'category', CODE_SYSTEMS.serviceCategory, SERVICE_CATEGORY_CODES, ctx);
      checkCodings([request.code], 'code', CODE_SYSTEMS.serviceCategory, SERVICE_CATEGORY_CODES, ctx);
      checkCodings([request.performerType], 'performerType', CODE_SYSTEMS.receivingServiceType, RECEIVING_SERVICE_TYPE_CODES, ctx);
      checkCodings(request.reasonCode, 'reasonCode', CODE_SYSTEMS.atRiskGroup, new Set(AT_RISK_GROUPS), ctx);
      checkExtensions(request.extension, ctx);
      checkRegion(request, regions, ctx);
    },
    { when: whenObject },
  );
}

/** The ServiceRequest as read without a region map (the extension is then the only source of the region); its shape is the contract. */
export const serviceRequestSchema = serviceRequestSchemaWith(EMPTY_REGION_MAP);

export type ServiceRequest = z.output<typeof serviceRequestSchema>;

/** Task statuses that are a referral status; the others stay inside the health system. */
export const SHARED_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set([
  'requested',
  'received',
  'accepted',
  'rejected',
  'in-progress',
  'on-hold',
  'completed',
  'cancelled',
]);

/**
 * A status update: a FHIR R4 Task whose focus (or basedOn) is the ServiceRequest, by reference
 * `ServiceRequest/<id>` or, for a referral another ministry made, by an identifier of
 * Passerelle's referral-id naming system.
 */
export const taskSchema = z
  .looseObject({
    resourceType: z.literal('Task'),
    id: z.string().regex(FHIR_ID, { error: 'must be a FHIR id (letters, digits, - and ., up to 64)' }),
    status: z.enum(TASK_STATUSES),
    intent: z.enum(['unknown', ...REQUEST_INTENTS]),
    focus: reference.optional(),
    basedOn: z.array(reference).max(20).optional(),
    statusReason: codeableConcept.optional(),
    lastModified: fhirDateTime.optional(),
    authoredOn: fhirDateTime.optional(),
  })
  .superRefine(
    (task, ctx) => {
      if (
        typeof task.status === 'string' &&
        (TASK_STATUSES as readonly string[]).includes(task.status) &&
        !SHARED_TASK_STATUSES.has(task.status)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['status'],
          message: `must be one of ${[...SHARED_TASK_STATUSES].join(', ')}: other Task statuses are not referral statuses`,
        });
      }
      if (!targetOf(task)) {
        ctx.addIssue({
          code: 'custom',
          path: ['focus'],
          message: `must reference ServiceRequest/<id> or carry an identifier of ${PASSERELLE_REFERRAL_ID_SYSTEM} (focus or basedOn)`,
        });
      }
      checkTaskTargets(task, ctx);
      checkCodings([task.statusReason], 'statusReason', CODE_SYSTEMS.statusReason, STATUS_REASON_CODES, ctx);
    },
    { when: whenObject },
  );

export type Task = z.output<typeof taskSchema>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Target = { serviceRequest: string } | { referralId: string };
type TaskReference = z.output<typeof reference>;

/** What one reference names: a ServiceRequest by `reference`, a Passerelle referral by `identifier`, or both. */
function namesOf(ref: unknown): { byReference?: Target; byIdentifier?: Target } {
  if (typeof ref !== 'object' || ref === null) return {};
  const { reference: text, identifier: id } = ref as TaskReference;
  const match = /^ServiceRequest\/([A-Za-z0-9\-.]{1,64})$/.exec(String(text ?? ''));
  const referralId = id?.system === PASSERELLE_REFERRAL_ID_SYSTEM && UUID.test(String(id.value ?? '')) ? id.value : undefined;
  return {
    ...(match?.[1] ? { byReference: { serviceRequest: match[1] } } : {}),
    ...(referralId ? { byIdentifier: { referralId } } : {}),
  };
}

/** Each reference of the Task that names a referral, with its path: `focus` first, then `basedOn`. */
function namedTargets(task: Pick<Task, 'focus' | 'basedOn'>): { path: (string | number)[]; target: Target; twice: boolean }[] {
  const refs: [(string | number)[], unknown][] = [
    [['focus'], task.focus],
    ...(Array.isArray(task.basedOn) ? task.basedOn.map((ref, i): [(string | number)[], unknown] => [['basedOn', i], ref]) : []),
  ];
  return refs.flatMap(([path, ref]) => {
    const { byReference, byIdentifier } = namesOf(ref);
    const target = byReference ?? byIdentifier;
    return target ? [{ path, target, twice: byReference !== undefined && byIdentifier !== undefined }] : [];
  });
}

const sameTarget = (a: Target, b: Target): boolean =>
  'serviceRequest' in a
    ? 'serviceRequest' in b && a.serviceRequest === b.serviceRequest
    : 'referralId' in b && a.referralId === b.referralId;

/**
 * A Task that names its referral ambiguously: one reference carrying both a ServiceRequest
 * reference and a referral id, or references (focus, basedOn) naming different referrals. Refused
 * rather than settled by order.
 */
function checkTaskTargets(task: Pick<Task, 'focus' | 'basedOn'>, ctx: Ctx): void {
  const named = namedTargets(task);
  for (const { path, twice } of named)
    if (twice)
      ctx.addIssue({
        code: 'custom',
        path: [...path],
        message: `names the referral twice, by reference and by an identifier of ${PASSERELLE_REFERRAL_ID_SYSTEM}: send one of them`,
      });
  const [first, ...others] = named;
  if (!first) return;
  for (const other of others)
    if (!sameTarget(first.target, other.target))
      ctx.addIssue({
        code: 'custom',
        path: [...other.path],
        message: `names another referral than ${fieldPath('', first.path)}: a Task updates one referral, its focus and basedOn must agree`,
      });
}

/** The referral a Task is about: a ServiceRequest of this health system, or a Passerelle referralId. */
export function targetOf(task: Pick<Task, 'focus' | 'basedOn'>): Target | undefined {
  return namedTargets(task)[0]?.target;
}
