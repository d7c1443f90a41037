import { z } from 'zod';
import {
  CONSENT_SCOPE_SYMBOLS,
  GAP_SEVERITY_SYMBOLS,
  REFERRAL_STATUS_SYMBOLS,
  REGION_SYMBOLS,
  SERVICE_CATEGORY_SYMBOLS,
  URGENCY_SYMBOLS,
} from '@passerelle/schemas/generated';
import { outsideTimeWindow, timeWindow } from '@passerelle/contracts';
import { MINISTRIES } from './access.ts';
import { AUDIT_OUTCOMES, AUDIT_REASONS } from './audit-chain.ts';
import {
  DEFAULT_MEASURE,
  MEASURE_MEANINGS,
  parsePeriod,
  PERIOD_FORMS,
  STATS_MEASURES,
  TIME_DIMENSIONS,
  type TimeDimension,
} from './stats-periods.ts';

/** Page-size cap: keeps a single request's cost bounded. */
export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

const known = <T extends readonly string[]>(symbols: T) =>
  z.enum(symbols.filter((s) => s !== 'UNKNOWN') as unknown as [T[number], ...T[number][]]);

export const regionSchema = known(REGION_SYMBOLS);
export const categorySchema = known(SERVICE_CATEGORY_SYMBOLS);
export const statusSchema = known(REFERRAL_STATUS_SYMBOLS);
export const ministrySchema = z.enum(MINISTRIES as unknown as [string, ...string[]]);
export const severitySchema = known(GAP_SEVERITY_SYMBOLS);
export const urgencySchema = known(URGENCY_SYMBOLS);
export const consentScopeSchema = z.enum(CONSENT_SCOPE_SYMBOLS);

const pageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE).describe(`page size, at most ${MAX_PAGE_SIZE}`),
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional()
    .describe('the nextCursor of the previous page'),
};
/** A query bound: ISO 8601 with an offset, inside the window every service shares (@passerelle/contracts, time-window.ts). */
const QUERY_WINDOW = `${new Date(timeWindow('query-bound').earliest).toISOString()} to ${new Date(timeWindow('query-bound').latest).toISOString()}`;
const instant = z.iso
  .datetime({ offset: true, error: `must be an ISO 8601 date-time with an offset, from ${QUERY_WINDOW}` })
  .refine((value) => outsideTimeWindow('query-bound', Date.parse(value)) === undefined, { error: `must be from ${QUERY_WINDOW}` });
/**
 * Aggregates take whole months only: with free instants, two ranges a second apart would
 * differ by one referral, whatever the suppression of each table.
 */
const monthStart = instant.refine(
  (value) => {
    const at = new Date(value);
    return (
      at.getUTCDate() === 1 &&
      at.getUTCHours() === 0 &&
      at.getUTCMinutes() === 0 &&
      at.getUTCSeconds() === 0 &&
      at.getUTCMilliseconds() === 0
    );
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
export type CategoricalDimension = (typeof STATS_DIMENSIONS)[number];
export type StatsDimension = CategoricalDimension | TimeDimension;
const ALL_DIMENSIONS: readonly StatsDimension[] = [...STATS_DIMENSIONS, ...TIME_DIMENSIONS];
const dimensionList = new RegExp(`^(${ALL_DIMENSIONS.join('|')})(,(${ALL_DIMENSIONS.join('|')})){0,2}$`);
const isTime = (dimension: string) => (TIME_DIMENSIONS as readonly string[]).includes(dimension);

export const statsQuery = z
  .strictObject({
    groupBy: z
      .string()
      .regex(dimensionList, { error: `must be one to three of ${ALL_DIMENSIONS.join(', ')}, comma-separated` })
      .refine((value) => new Set(value.split(',')).size === value.split(',').length, { error: 'must not repeat a dimension' })
      .refine((value) => value.split(',').filter(isTime).length <= 1, { error: `must name at most one of ${TIME_DIMENSIONS.join(', ')}` })
      .refine((value) => !value.split(',').some(isTime) || value.split(',').length <= 2, {
        error: `must combine ${TIME_DIMENSIONS.join(' or ')} with at most one other dimension`,
      })
      .optional()
      .describe(
        `comma-separated, up to three of ${STATS_DIMENSIONS.join(', ')}; or one of ${TIME_DIMENSIONS.join(', ')} ` +
          "(buckets of the measure's own date, named like periods) with at most one other. Two dimensions also give their margins",
      ),
    region: regionSchema.optional(),
    category: categorySchema.optional(),
    measure: z
      .enum(STATS_MEASURES)
      .optional()
      .describe(`what is counted (default ${DEFAULT_MEASURE}): ${STATS_MEASURES.map((m) => `${m}, ${MEASURE_MEANINGS[m]}`).join('; ')}`),
    period: z
      .string()
      .max(20)
      .superRefine((value, ctx) => {
        const parsed = parsePeriod(value);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
      })
      .optional()
      .describe(`${PERIOD_FORMS}; in UTC like from and to, and not with them`),
    from: monthStart.optional().describe("the measure's date at or after; the first instant of a month in UTC"),
    to: monthStart.optional().describe("the measure's date before; the first instant of a month in UTC"),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { error: 'must be after from', path: ['to'] })
  .refine((q) => !q.period || (!q.from && !q.to), { error: 'must not be combined with from or to', path: ['period'] });
export type StatsQuery = z.infer<typeof statsQuery>;

export const initiativesQuery = z.strictObject({
  strategy: z
    .string()
    .max(100)
    .regex(/^[A-Za-z0-9_.-]+$/)
    .optional(),
  pillar: z
    .string()
    .max(100)
    .regex(/^[A-Za-z0-9_.-]+$/)
    .optional(),
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
export const initiativeIdParam = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_.-]+$/);

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
      occurredAt: z.string().describe('business time: when it happened in the ministry’s system'),
      acceptedAt: z
        .string()
        .nullable()
        .describe('when the publishing adapter accepted the record; null from producers before schema version 2'),
      publishedAt: z.string().nullable().describe('when the adapter’s relay published the event to Kafka (the record’s timestamp)'),
      receivedByViewAt: z.string().describe('when the projector applied it to the view'),
      businessTimeSincePreviousMs: z
        .number()
        .nullable()
        .describe('business time since the previous hop’s occurredAt: the people’s pace, not the pipeline’s'),
      pipeline: z
        .object({
          acceptedToPublishedMs: z.number().nullable(),
          publishedToAppliedMs: z.number().nullable(),
          acceptedToAppliedMs: z.number().nullable(),
        })
        .describe('the pipeline’s own latency per hop, in milliseconds; null where a time is unknown'),
      latencySincePreviousMs: z.number().nullable().describe('deprecated: businessTimeSincePreviousMs'),
      viewLagMs: z.number().describe('deprecated: receivedByViewAt − occurredAt, business time included'),
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

const statsCellSchema = z.object({
  key: z.record(z.string(), z.string()),
  count: z.number().int().nullable().describe('perturbed; null when suppressed'),
  suppressed: z.boolean(),
  medianDaysToAcceptance: z.number().int().nullable().describe('days, rounded to the nearest week; null behind too few acceptances'),
});

export const statsSchema = z.object({
  groupBy: z.array(z.string()),
  measure: z.enum(STATS_MEASURES),
  period: z
    .object({
      name: z.string().nullable().describe('the period asked for; null for from/to or all time'),
      from: z.string().nullable().describe('first instant counted, UTC; null when unbounded'),
      to: z.string().nullable().describe('first instant not counted, UTC; null when unbounded'),
    })
    .describe("the [from, to) of the measure's date"),
  threshold: z.number().int(),
  disclosureControl: disclosureNoteSchema,
  total: z.number().int().nullable().describe('perturbed as a cell of its own; null when suppressed'),
  totalSuppressed: z.boolean(),
  cells: z.array(statsCellSchema),
  margins: z
    .array(z.object({ by: z.string(), cells: z.array(statsCellSchema) }))
    .describe('for two dimensions, the totals by each one alone, each perturbed as a cell of its own: cells need not add up to them'),
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

const milestoneSchema = z.object({
  status: z.string(),
  measureUnit: z.string().nullable(),
  measureQuantity: z.number().nullable(),
  sourceMinistry: z.string(),
  occurredAt: z.string(),
});
export const initiativeSchema = z.object({
  initiativeId: z.string(),
  strategyId: z.string(),
  pillarId: z.string(),
  pillarTitle: z.object({ en: z.string(), fr: z.string() }),
  title: z.object({ en: z.string(), fr: z.string() }),
  leadMinistry: z.string(),
  latestMilestone: milestoneSchema.omit({ sourceMinistry: true }).nullable(),
  milestones: z.number().int(),
  daysSinceLatestMilestone: z.number().int().nullable().describe('whole days since the latest milestone; null without one'),
  target: z
    .object({ date: z.string(), source: z.string() })
    .nullable()
    .describe('the date the strategy’s documents state, and which one; null where they state none'),
  flags: z.object({
    noMilestone: z.boolean(),
    stale: z.boolean().describe('no milestone, or none for longer than PASSERELLE_INITIATIVE_STALE_DAYS'),
    behindTarget: z.boolean().describe('its stated target date has passed and its latest milestone is not REACHED'),
  }),
});
export const initiativeListSchema = z.object({
  items: z.array(initiativeSchema),
  pillars: z.array(
    z.object({
      pillarId: z.string(),
      title: z.object({ en: z.string(), fr: z.string() }),
      initiatives: z.number().int(),
      byStatus: z.record(z.string(), z.number().int()),
      flagged: z.object({ stale: z.number().int(), noMilestone: z.number().int(), behindTarget: z.number().int() }),
    }),
  ),
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
  ageDays: z.number().int().describe('whole days open: until now, or until it was resolved'),
});
export const serviceGapPage = page(serviceGapSchema);
export const serviceGapSummarySchema = z.object({
  regions: z.array(
    z.object({
      region: z.string(),
      open: z.number().int(),
      resolved: z.number().int(),
      openBySeverity: z.record(z.string(), z.number().int()),
      openByCategory: z.record(z.string(), z.number().int()),
    }),
  ),
  openByAge: z
    .array(z.object({ fromDays: z.number().int(), toDays: z.number().int().nullable(), open: z.number().int() }))
    .describe('open gaps by days since reported: [fromDays, toDays), the last bucket open-ended'),
  resolvedByMonth: z.array(z.object({ month: z.string(), resolved: z.number().int() })).describe('UTC months, oldest first'),
  medianDaysToResolve: z.number().nullable(),
});

export const pipelineQuery = z.strictObject({
  windowHours: z.coerce.number().int().min(1).max(720).default(24).describe('hours of applied events the latency covers; 24 by default'),
});

const hopLatencySchema = z.object({ p50: z.number().nullable(), p95: z.number().nullable(), max: z.number().nullable() });
export const pipelineSchema = z.object({
  windowHours: z.number().int(),
  latency: z
    .object({
      events: z.number().int(),
      acceptedToPublishedMs: hopLatencySchema,
      publishedToAppliedMs: hopLatencySchema,
      acceptedToAppliedMs: hopLatencySchema,
    })
    .describe('the pipeline’s own hops over the referral events applied in the window, in milliseconds'),
  deadLetters: z.number().int(),
  services: z.array(
    z.object({
      service: z.string(),
      reachable: z.boolean(),
      outboxDepth: z.number().nullable(),
      oldestUnpublishedAgeSeconds: z.number().nullable(),
      consumerLag: z.array(z.object({ topic: z.string(), partition: z.number().int(), lag: z.number() })),
    }),
  ),
});

export const deadLetterPage = page(
  z.object({
    sourceTopic: z.string(),
    sourcePartition: z.number().int(),
    sourceOffset: z.number().int(),
    reasonCode: z.string(),
    eventId: z.string().nullable(),
    eventType: z.string().nullable(),
    published: z.boolean(),
    deadLetteredAt: z.string(),
  }),
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
