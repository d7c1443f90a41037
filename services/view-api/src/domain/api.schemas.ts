import { z } from 'zod';
import {
  CONSENT_SCOPE_SYMBOLS,
  GAP_SEVERITY_SYMBOLS,
  REFERRAL_STATUS_SYMBOLS,
  REGION_SYMBOLS,
  SERVICE_CATEGORY_SYMBOLS,
  URGENCY_SYMBOLS,
} from '@passerelle/schemas/generated';
import { MINISTRIES } from './access.ts';
import { AUDIT_OUTCOMES, AUDIT_REASONS } from './audit-chain.ts';

/** Page-size cap: keeps a single request's cost bounded. */
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

const known = <T extends readonly string[]>(symbols: T) => z.enum(symbols.filter((s) => s !== 'UNKNOWN') as unknown as [T[number], ...T[number][]]);

export const regionSchema = known(REGION_SYMBOLS);
export const categorySchema = known(SERVICE_CATEGORY_SYMBOLS);
export const statusSchema = known(REFERRAL_STATUS_SYMBOLS);
export const ministrySchema = z.enum(MINISTRIES as unknown as [string, ...string[]]);
export const severitySchema = known(GAP_SEVERITY_SYMBOLS);
export const urgencySchema = known(URGENCY_SYMBOLS);
export const consentScopeSchema = z.enum(CONSENT_SCOPE_SYMBOLS);

const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE).describe(`page size, at most ${MAX_PAGE_SIZE}`),
  cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/).optional().describe('the nextCursor of the previous page'),
};
const instant = z.iso.datetime({ offset: true });
/**
 * Aggregates take whole months only: with free instants, two ranges a second apart would
 * differ by one referral, whatever the suppression of each table.
 */
const monthStart = instant.refine(
  (value) => {
    const at = new Date(value);
    return at.getUTCDate() === 1 && at.getUTCHours() === 0 && at.getUTCMinutes() === 0 && at.getUTCSeconds() === 0 && at.getUTCMilliseconds() === 0;
  },
  { error: 'must be the first instant of a month in UTC, e.g. 2026-07-01T00:00:00Z (aggregates are published by whole months)' },
);

export const referralListQuery = z.strictObject({
  region: regionSchema.optional(),
  status: statusSchema.optional(),
  category: categorySchema.optional(),
  referringMinistry: ministrySchema.optional(),
  receivingMinistry: ministrySchema.optional(),
  from: instant.optional().describe('requested at or after'),
  to: instant.optional().describe('requested before'),
  ...pageQuery,
});
export type ReferralListQuery = z.infer<typeof referralListQuery>;

export const STATS_DIMENSIONS = ['region', 'category', 'status', 'referringMinistry', 'receivingMinistry', 'urgency'] as const;
export type StatsDimension = (typeof STATS_DIMENSIONS)[number];
const dimensionList = new RegExp(`^(${STATS_DIMENSIONS.join('|')})(,(${STATS_DIMENSIONS.join('|')})){0,2}$`);

export const statsQuery = z.strictObject({
  groupBy: z
    .string()
    .regex(dimensionList, { error: `must be one to three of ${STATS_DIMENSIONS.join(', ')}, comma-separated` })
    .refine((value) => new Set(value.split(',')).size === value.split(',').length, { error: 'must not repeat a dimension' })
    .optional()
    .describe(`comma-separated, up to three of ${STATS_DIMENSIONS.join(', ')}`),
  region: regionSchema.optional(),
  category: categorySchema.optional(),
  from: monthStart.optional().describe('requested at or after; the first instant of a month in UTC'),
  to: monthStart.optional().describe('requested before; the first instant of a month in UTC'),
}).refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { error: 'must be after from', path: ['to'] });
export type StatsQuery = z.infer<typeof statsQuery>;

export const initiativesQuery = z.strictObject({
  strategy: z.string().max(100).regex(/^[A-Za-z0-9_.-]+$/).optional(),
  pillar: z.string().max(100).regex(/^[A-Za-z0-9_.-]+$/).optional(),
});

export const serviceGapsQuery = z.strictObject({
  status: z.enum(['OPEN', 'RESOLVED']).optional(),
  region: regionSchema.optional(),
  category: categorySchema.optional(),
  severity: severitySchema.optional(),
  ...pageQuery,
});
export type ServiceGapsQuery = z.infer<typeof serviceGapsQuery>;

export const pageOnlyQuery = z.strictObject({ ...pageQuery });
export const emptyQuery = z.strictObject({});

export const uuidParam = z.uuid();
export const initiativeIdParam = z.string().min(1).max(100).regex(/^[A-Za-z0-9_.-]+$/);

// ---- responses (documentation and tests; the repository shapes them) ----

const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const referralSchema = z.object({
  referralId: z.uuid(),
  status: z.string(),
  statusReason: z.string().nullable(),
  statusChangedAt: z.string(),
  referringMinistry: z.string(),
  receivingMinistry: z.string().nullable(),
  receivingServiceType: z.string(),
  serviceCategory: z.string(),
  region: z.string(),
  urgency: z.string(),
  consentScope: z.string(),
  subjectPseudonym: z.string().nullable().describe('keyed pseudonym, null after consent withdrawal'),
  populationFlags: z.record(z.string(), z.boolean().nullable()),
  requestedAt: z.string(),
  acceptedAt: z.string().nullable(),
  consentWithdrawn: z.boolean(),
});
export const referralPage = page(referralSchema);

export const flowSchema = z.object({
  referralId: z.uuid(),
  traceUiBase: z.string(),
  hops: z.array(
    z.object({
      eventId: z.uuid(),
      eventType: z.string(),
      ministry: z.string(),
      occurredAt: z.string(),
      receivedByViewAt: z.string(),
      latencySincePreviousMs: z.number().nullable(),
      viewLagMs: z.number(),
      traceId: z.string().nullable(),
      traceUrl: z.string().nullable(),
    }),
  ),
});

const disclosureNoteSchema = z.object({
  method: z.literal('cell-key-perturbation'),
  threshold: z.number().int(),
  maxPerturbation: z.number().int(),
  medianMinimum: z.number().int(),
  explanation: z.object({ en: z.string(), fr: z.string() }),
});

export const statsSchema = z.object({
  groupBy: z.array(z.string()),
  threshold: z.number().int(),
  disclosureControl: disclosureNoteSchema,
  total: z.number().int().nullable().describe('perturbed as a cell of its own; null when suppressed'),
  totalSuppressed: z.boolean(),
  cells: z.array(
    z.object({
      key: z.record(z.string(), z.string()),
      count: z.number().int().nullable().describe('perturbed; null when suppressed'),
      suppressed: z.boolean(),
      medianDaysToAcceptance: z.number().int().nullable().describe('days, rounded to the nearest week; null behind too few acceptances'),
    }),
  ),
  medianDaysToAcceptance: z.number().int().nullable(),
});

export const disclosureControlSchema = disclosureNoteSchema.extend({
  perturbationTable: z.array(
    z.object({
      count: z.number().int().describe('true count; the last row holds for every larger count'),
      andAbove: z.boolean(),
      perturbations: z.array(z.object({ value: z.number().int(), probability: z.number() })),
      variance: z.number(),
    }),
  ),
});

const milestoneSchema = z.object({ status: z.string(), measureUnit: z.string().nullable(), measureQuantity: z.number().nullable(), sourceMinistry: z.string(), occurredAt: z.string() });
export const initiativeSchema = z.object({
  initiativeId: z.string(),
  strategyId: z.string(),
  pillarId: z.string(),
  pillarTitle: z.object({ en: z.string(), fr: z.string() }),
  title: z.object({ en: z.string(), fr: z.string() }),
  leadMinistry: z.string(),
  latestMilestone: milestoneSchema.omit({ sourceMinistry: true }).nullable(),
  milestones: z.number().int(),
});
export const initiativeListSchema = z.object({
  items: z.array(initiativeSchema),
  pillars: z.array(z.object({ pillarId: z.string(), title: z.object({ en: z.string(), fr: z.string() }), initiatives: z.number().int(), byStatus: z.record(z.string(), z.number().int()) })),
});
export const initiativeDetailSchema = initiativeSchema.extend({ history: z.array(milestoneSchema) });

export const serviceGapSchema = z.object({
  gapId: z.uuid(),
  status: z.string(),
  region: z.string(),
  serviceCategory: z.string(),
  severity: z.string(),
  gapCode: z.string(),
  reportedBy: z.string(),
  reportedAt: z.string(),
  resolution: z.string().nullable(),
  resolvedAt: z.string().nullable(),
});
export const serviceGapPage = page(serviceGapSchema);
export const serviceGapSummarySchema = z.object({
  regions: z.array(z.object({ region: z.string(), open: z.number().int(), resolved: z.number().int(), openBySeverity: z.record(z.string(), z.number().int()) })),
});

export const deadLetterPage = page(
  z.object({ sourceTopic: z.string(), sourcePartition: z.number().int(), sourceOffset: z.number().int(), reasonCode: z.string(), eventId: z.string().nullable(), eventType: z.string().nullable(), published: z.boolean(), deadLetteredAt: z.string() }),
);

export const auditPage = page(
  z.object({
    id: z.number().int(),
    kind: z.enum(['person-level', 'small-aggregate']),
    outcome: z.enum(AUDIT_OUTCOMES).describe('what was decided; a referral the caller may not see is answered 404 and recorded as denied'),
    status: z.number().int().describe('the HTTP status the caller got'),
    reason: z.enum(AUDIT_REASONS).nullable().describe('why it was not allowed; null when allowed'),
    at: z.string(),
    subject: z.string().nullable().describe('null when no token could be verified'),
    role: z.string().nullable(),
    ministry: z.string().nullable(),
    endpoint: z.string(),
    filters: z.record(z.string(), z.unknown()),
    referralIds: z.array(z.string()),
    requestId: z.string(),
  }),
);

export const auditHeadSchema = z.object({
  id: z.number().int().nullable().describe('the last row of the chain; null while the chain is empty'),
  hash: z.string().nullable().describe('its HMAC-SHA256, hex'),
  head: z.string().nullable().describe('id:hash, as `audit verify --head` takes it'),
});

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
});
