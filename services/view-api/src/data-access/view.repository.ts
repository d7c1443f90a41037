import {
  POPULATION_GROUPS,
  VIEW_TABLE,
  type ColumnOf,
  type ConsentScope,
  type Ministry,
  type PopulationField,
  type ReceivingServiceType,
  type ReferralHistoryRow,
  type ReferralStatus,
  type ReferralStatusReason,
  type Region,
  type ServiceCategory,
  type StoredRow,
  type Urgency,
  type ViewTableName,
} from '@passerelle/coordination-view';
import type { Knex } from '@passerelle/db';
import type { CategoricalDimension, ReferralListQuery, ServiceGapsQuery, StatsDimension } from '../domain/api.schemas.ts';
import { DEFAULT_MEASURE, type StatsMeasure, type TimeDimension } from '../domain/stats-periods.ts';
import { CELL_KEY_MODULUS } from '../domain/disclosure-control.ts';
import type { GapFacts } from '../domain/presenters.ts';
import type { HopLatency, PipelineHop } from '../domain/pipeline.ts';
import type { SealedRow, SubjectOpener } from './sealed-subjects.ts';

const iso = (value: unknown): string | null => (value instanceof Date ? value.toISOString() : value == null ? null : String(value));

/** Row-level limits the caller's role puts on a person-level query. */
export interface ReferralScopeFilter {
  readonly consentScopes: readonly ConsentScope[];
  /** For a ministry: only referrals it made or received. */
  readonly ministry?: Ministry;
}

/** A referral as the API serves it person by person. */
export interface Referral {
  referralId: string;
  status: ReferralStatus;
  statusReason: ReferralStatusReason | null;
  statusChangedAt: string;
  referringMinistry: Ministry;
  receivingMinistry: Ministry | null;
  receivingServiceType: ReceivingServiceType;
  serviceCategory: ServiceCategory;
  region: Region;
  urgency: Urgency;
  consentScope: ConsentScope;
  subjectPseudonym: string | null;
  populationFlags: Record<PopulationField, boolean | null>;
  requestedAt: string;
  acceptedAt: string | null;
  consentWithdrawn: boolean;
}

const DIMENSION_COLUMNS: Readonly<Record<CategoricalDimension, ColumnOf<'referrals'>>> = {
  region: 'region',
  category: 'service_category',
  status: 'status',
  referringMinistry: 'referring_ministry',
  receivingMinistry: 'receiving_ministry',
  urgency: 'urgency',
};

const column = (name: ColumnOf<'referrals'>) => `"${name}"`;
/**
 * The date each measure reads. A referral reaches at most one final status (the projector's
 * status machine has no way out of DECLINED, COMPLETED or WITHDRAWN), so `least` is that one's date.
 */
const MEASURE_AT: Readonly<Record<StatsMeasure, string>> = {
  made: column('requested_at'),
  accepted: column('accepted_at'),
  closed: `least(${column('completed_at')}, ${column('declined_at')}, ${column('withdrawn_at')})`,
};
/** Buckets in UTC, named as the periods that select them (`2025-03`, `2025-Q1`). */
const TIME_FORMATS: Readonly<Record<TimeDimension, string>> = { month: 'YYYY-MM', quarter: 'YYYY-"Q"Q' };

/**
 * What a dimension groups by and selects. SQL text from the constants above only, never from
 * the request: the same text must appear in the select list, grouping() and GROUPING SETS.
 */
function dimensionSql(dimension: StatsDimension, at: string): { group: string; select: string } {
  switch (dimension) {
    case 'month':
    case 'quarter': {
      const bucket = `to_char(${at} at time zone 'UTC', '${TIME_FORMATS[dimension]}')`;
      return { group: bucket, select: bucket };
    }
    default: {
      const name = column(DIMENSION_COLUMNS[dimension]);
      return { group: name, select: `coalesce(${name}::text, 'NONE')` };
    }
  }
}

const MILESTONE_COLUMNS = [
  'status',
  'measure_unit',
  'measure_quantity',
  'source_ministry',
  'occurred_at',
] as const satisfies readonly ColumnOf<'initiative_milestones'>[];
const DEAD_LETTER_COLUMNS = [
  'source_topic',
  'source_partition',
  'source_offset',
  'reason_code',
  'event_id',
  'event_type',
  'published',
  'dead_lettered_at',
] as const satisfies readonly ColumnOf<'dead_letters'>[];

export interface StatsRow {
  key: Record<string, string>;
  /** True count and its cell key (sum of the record keys mod 2^32); never published as such. */
  count: number;
  cellKey: number;
  /** The same for the referrals of the group that were ever accepted (the median stands on them). */
  accepted: number;
  acceptedKey: number;
  /** Median days from request to acceptance, unrounded. */
  medianDaysToAcceptance: number | null;
}

/** Which referrals a stats read counts: the measure's date in [from, to), and the filters. */
export interface StatsSelection {
  /** Default `made` (requested_at). */
  readonly measure?: StatsMeasure;
  readonly region?: string;
  readonly category?: string;
  readonly from?: string;
  readonly to?: string;
}

export interface StatsResult {
  rows: StatsRow[];
  /** For two dimensions, the rows grouped by each one alone. */
  margins: Array<{ by: StatsDimension; rows: StatsRow[] }>;
  overall: StatsRow;
}

const EMPTY_ROW: StatsRow = { key: {}, count: 0, cellKey: 0, accepted: 0, acceptedKey: 0, medianDaysToAcceptance: null };

/** Some referrals of the view have no record key yet: published figures would not be protected. */
export class UnkeyedViewError extends Error {
  readonly code = 'VIEW_NOT_KEYED';
  readonly retryable = true;
  constructor() {
    super('the view has referrals without a record key');
    this.name = 'UnkeyedViewError';
  }
}

/** Read-only queries on the projector's view tables, by name (the view is the projector's). */
export class ViewRepository {
  constructor(
    private readonly db: Knex,
    private readonly schema: string,
    /** Opens sealed subjects for person-level answers; without it, a sealed referral's pseudonym is served as null. */
    private readonly subjects?: SubjectOpener,
  ) {}

  /** Person-level rows with their pseudonyms: a legacy plaintext one as stored, a sealed one opened with its live data key. */
  private async withPseudonyms(rows: ReadonlyArray<StoredRow<'referrals'>>): Promise<Referral[]> {
    const sealed: SealedRow[] = rows.flatMap((row) =>
      row.subject_sealed ? [{ referralId: String(row.referral_id), sealed: row.subject_sealed as SealedRow['sealed'] }] : [],
    );
    const opened = this.subjects ? await this.subjects.pseudonyms(sealed) : new Map<string, string | null>();
    return rows.map((row) => {
      const referral = ViewRepository.toReferral(row);
      return row.subject_sealed ? { ...referral, subjectPseudonym: opened.get(referral.referralId) ?? null } : referral;
    });
  }

  private table(name: ViewTableName) {
    return this.db.withSchema(this.schema).table(name);
  }

  private static toReferral(row: StoredRow<'referrals'>): Referral {
    return {
      referralId: String(row.referral_id),
      status: row.status as ReferralStatus,
      statusReason: (row.status_reason as ReferralStatusReason | null) ?? null,
      statusChangedAt: iso(row.status_changed_at) ?? '',
      referringMinistry: row.referring_ministry as Ministry,
      receivingMinistry: (row.receiving_ministry as Ministry | null) ?? null,
      receivingServiceType: row.receiving_service_type as ReceivingServiceType,
      serviceCategory: row.service_category as ServiceCategory,
      region: row.region as Region,
      urgency: row.urgency as Urgency,
      consentScope: row.consent_scope as ConsentScope,
      subjectPseudonym: (row.subject_pseudonym as string | null) ?? null,
      populationFlags: Object.fromEntries(POPULATION_GROUPS.map((g) => [g.field, (row[g.column] as boolean | null) ?? null])) as Record<
        PopulationField,
        boolean | null
      >,
      requestedAt: iso(row.requested_at) ?? '',
      acceptedAt: iso(row.accepted_at),
      consentWithdrawn: row.consent_withdrawn_at != null,
    };
  }

  /**
   * Keyset page on referral_id (the primary key index). A referral whose consent was withdrawn
   * is no longer served person by person: it stays in the counts only.
   */
  async referrals(query: ReferralListQuery, scope: ReferralScopeFilter, afterId: string | undefined): Promise<Referral[]> {
    const q = this.table(VIEW_TABLE.referrals)
      .select('*')
      .whereIn('consent_scope', [...scope.consentScopes])
      .whereNull('consent_withdrawn_at')
      .orderBy('referral_id')
      .limit(query.limit);
    if (scope.ministry)
      void q.where((w) => void w.where('referring_ministry', scope.ministry).orWhere('receiving_ministry', scope.ministry));
    if (query.region) void q.where('region', query.region);
    if (query.status) void q.where('status', query.status);
    if (query.category) void q.where('service_category', query.category);
    if (query.referringMinistry) void q.where('referring_ministry', query.referringMinistry);
    if (query.receivingMinistry) void q.where('receiving_ministry', query.receivingMinistry);
    if (query.from) void q.where('requested_at', '>=', query.from);
    if (query.to) void q.where('requested_at', '<', query.to);
    if (afterId) void q.where('referral_id', '>', afterId);
    return this.withPseudonyms((await q) as Array<StoredRow<'referrals'>>);
  }

  /** Whether the referral's consent was withdrawn (its person-level data and flow are no longer served). */
  async withdrawn(id: string): Promise<boolean> {
    return (
      (await this.table(VIEW_TABLE.referrals).where('referral_id', id).whereNotNull('consent_withdrawn_at').first('referral_id')) !==
      undefined
    );
  }

  /** One referral, person-level: none once its consent was withdrawn. */
  async referral(id: string): Promise<Referral | undefined> {
    const row = (await this.table(VIEW_TABLE.referrals).where('referral_id', id).whereNull('consent_withdrawn_at').first()) as
      StoredRow<'referrals'> | undefined;
    return row ? (await this.withPseudonyms([row]))[0] : undefined;
  }

  /** The hops of one referral, in the order the projection folds them; no payload. */
  async history(id: string): Promise<
    Array<{
      eventId: string;
      eventType: ReferralHistoryRow['event_type'];
      ministry: Ministry;
      occurredAt: Date;
      acceptedAt: Date | null;
      publishedAt: Date | null;
      consumedAt: Date;
      traceId: string | null;
    }>
  > {
    const rows = (await this.table(VIEW_TABLE.referral_history)
      .select('event_id', 'event_type', 'source_ministry', 'occurred_at', 'accepted_at', 'published_at', 'consumed_at', 'trace_id')
      .where('referral_id', id)
      .orderBy([{ column: 'occurred_at' }, { column: 'event_id' }])
      .limit(1000)) as Array<StoredRow<'referral_history'>>;
    return rows.map((row) => ({
      eventId: String(row.event_id),
      eventType: row.event_type as ReferralHistoryRow['event_type'],
      ministry: row.source_ministry as Ministry,
      occurredAt: row.occurred_at as Date,
      acceptedAt: (row.accepted_at as Date | null) ?? null,
      publishedAt: (row.published_at as Date | null) ?? null,
      consumedAt: row.consumed_at as Date,
      traceId: (row.trace_id as string | null) ?? null,
    }));
  }

  /**
   * Counts, cell keys and median days from creation to acceptance per group, and the same over all
   * groups (`overall`, the total, which is a cell of its own), from one scan of the table:
   * GROUPING SETS ((dimensions…), ()), and for two dimensions each one alone too (the margins).
   * The measure decides which referrals count and which date `from`/`to` and the time dimensions
   * read. Without dimensions, `rows` is the overall row alone.
   */
  async referralStats(dimensions: readonly StatsDimension[], selection: StatsSelection): Promise<StatsResult> {
    const measure = selection.measure ?? DEFAULT_MEASURE;
    const at = MEASURE_AT[measure];
    const dims = dimensions.map((d) => dimensionSql(d, at));
    const groups = dims.map((d) => d.group).join(', ');
    const sets = dims.length === 2 ? `(${groups}), (${dims[0]?.group}), (${dims[1]?.group}), ()` : dims.length > 0 ? `(${groups}), ()` : '';
    const q = this.table(VIEW_TABLE.referrals).select(
      ...dims.map((d, i) => this.db.raw(`${d.select} as d${i}`)),
      this.db.raw(dims.length > 0 ? `grouping(${groups})::int as grouping_id` : '0 as grouping_id'),
      this.db.raw('count(*)::int as count'),
      this.db.raw('count(record_key)::int as keyed'),
      this.db.raw(`(coalesce(sum(record_key), 0) % ${CELL_KEY_MODULUS})::bigint as cell_key`),
      this.db.raw('count(accepted_at)::int as accepted'),
      this.db.raw(`(coalesce(sum(record_key) filter (where accepted_at is not null), 0) % ${CELL_KEY_MODULUS})::bigint as accepted_key`),
      this.db.raw(
        `percentile_cont(0.5) within group (order by extract(epoch from (accepted_at - requested_at)) / 86400.0) filter (where accepted_at is not null) as median`,
      ),
    );
    if (dims.length > 0) void q.groupByRaw(`grouping sets (${sets})`).orderByRaw(dims.map((_, i) => `d${i}`).join(', '));
    if (measure !== 'made') void q.whereRaw(`${at} is not null`);
    if (selection.region) void q.where('region', selection.region);
    if (selection.category) void q.where('service_category', selection.category);
    if (selection.from) void q.whereRaw(`${at} >= ?`, [selection.from]);
    if (selection.to) void q.whereRaw(`${at} < ?`, [selection.to]);
    const result = (await q) as Array<Record<string, unknown>>;
    const toRow = (row: Record<string, unknown>, present: readonly number[]): StatsRow => ({
      key: Object.fromEntries(present.map((i) => [dimensions[i] as string, String(row[`d${i}`])])),
      count: Number(row['count']),
      cellKey: Number(row['cell_key']),
      accepted: Number(row['accepted']),
      acceptedKey: Number(row['accepted_key']),
      medianDaysToAcceptance: row['median'] == null ? null : Number(row['median']),
    });
    // grouping() sets one bit per dimension left out of a row's grouping set, the first dimension highest.
    const all = dims.map((_, i) => i);
    const overallId = 2 ** dims.length - 1;
    const rowsWith = (id: number, present: readonly number[]) =>
      result.filter((row) => Number(row['grouping_id']) === id).map((row) => toRow(row, present));
    const overallRow = result.find((row) => Number(row['grouping_id']) === overallId);
    // An empty selection still has its overall row (an aggregate without GROUP BY, or the () set).
    if (!overallRow) return { rows: [], margins: [], overall: EMPTY_ROW };
    // A referral without its record key (a view the projector is still keying after an upgrade)
    // would make a cell key wrong and its perturbation predictable: no figure until all are keyed.
    if (Number(overallRow['keyed']) !== Number(overallRow['count'])) throw new UnkeyedViewError();
    const overall = toRow(overallRow, []);
    return {
      rows: dims.length > 0 ? rowsWith(0, all) : [overall],
      margins:
        dims.length === 2
          ? [
              { by: dimensions[0] as StatsDimension, rows: rowsWith(1, [0]) },
              { by: dimensions[1] as StatsDimension, rows: rowsWith(2, [1]) },
            ]
          : [],
      overall,
    };
  }

  async initiatives(filters: { strategy?: string; pillar?: string }): Promise<Array<StoredRow<'initiatives'>>> {
    const q = this.table(VIEW_TABLE.initiatives)
      .select('*')
      .orderBy([{ column: 'pillar_id' }, { column: 'initiative_id' }])
      .limit(1000);
    if (filters.strategy) void q.where('strategy_id', filters.strategy);
    if (filters.pillar) void q.where('pillar_id', filters.pillar);
    return (await q) as Array<StoredRow<'initiatives'>>;
  }

  async initiative(id: string): Promise<StoredRow<'initiatives'> | undefined> {
    return (await this.table(VIEW_TABLE.initiatives).where('initiative_id', id).first()) as StoredRow<'initiatives'> | undefined;
  }

  async milestones(id: string): Promise<Array<Pick<StoredRow<'initiative_milestones'>, (typeof MILESTONE_COLUMNS)[number]>>> {
    return (await this.table(VIEW_TABLE.initiative_milestones)
      .select(...MILESTONE_COLUMNS)
      .where('initiative_id', id)
      .orderBy([{ column: 'occurred_at' }, { column: 'event_id' }])
      .limit(1000)) as Array<Pick<StoredRow<'initiative_milestones'>, (typeof MILESTONE_COLUMNS)[number]>>;
  }

  async serviceGaps(query: ServiceGapsQuery, afterId: string | undefined): Promise<Array<StoredRow<'service_gaps'>>> {
    const q = this.table(VIEW_TABLE.service_gaps).select('*').orderBy('gap_id').limit(query.limit);
    if (query.status) void q.where('status', query.status);
    if (query.region) void q.where('region', query.region);
    if (query.category) void q.where('service_category', query.category);
    if (query.severity) void q.where('severity', query.severity);
    if (afterId) void q.where('gap_id', '>', afterId);
    return (await q) as Array<StoredRow<'service_gaps'>>;
  }

  /** What the gaps summary counts, per gap (a few thousand at most: gaps are about services, not people). */
  async serviceGapFacts(): Promise<GapFacts[]> {
    const rows = (await this.table(VIEW_TABLE.service_gaps)
      .select('region', 'status', 'severity', 'service_category', 'reported_at', 'resolved_at')
      .orderBy('gap_id')
      .limit(100_000)) as Array<
      Pick<StoredRow<'service_gaps'>, 'region' | 'status' | 'severity' | 'service_category' | 'reported_at' | 'resolved_at'>
    >;
    return rows.map((row) => ({
      region: String(row.region),
      status: String(row.status),
      severity: String(row.severity),
      category: String(row.service_category),
      reportedAt: (row.reported_at as Date).getTime(),
      resolvedAt: row.resolved_at == null ? null : (row.resolved_at as Date).getTime(),
    }));
  }

  /**
   * Percentiles of the pipeline's own hops over the referral events applied in the last
   * `windowHours`: adapter acceptance → publication → applied to the view (events of producers
   * before schema version 2 carry no acceptance time and count only where they can).
   */
  async pipelineLatency(windowHours: number): Promise<{ events: number; hops: Record<PipelineHop, HopLatency> }> {
    const hop = (from: string, to: string) => `extract(epoch from (${to} - ${from})) * 1000`;
    const hops: Record<PipelineHop, string> = {
      acceptedToPublished: hop('accepted_at', 'published_at'),
      publishedToApplied: hop('published_at', 'consumed_at'),
      acceptedToApplied: hop('accepted_at', 'consumed_at'),
    };
    const columns = Object.entries(hops).flatMap(([name, expression]) => [
      `percentile_cont(0.5) within group (order by ${expression}) as "${name}_p50"`,
      `percentile_cont(0.95) within group (order by ${expression}) as "${name}_p95"`,
      `max(${expression}) as "${name}_max"`,
    ]);
    const row = (await this.table(VIEW_TABLE.referral_history)
      .select(this.db.raw(['count(*)::int as events', ...columns].join(', ')))
      .where('consumed_at', '>=', this.db.raw(`now() - make_interval(hours => ?)`, [windowHours]))
      .first()) as Record<string, unknown>;
    const ms = (value: unknown): number | null => (value == null ? null : Math.round(Number(value)));
    const latency = (name: PipelineHop): HopLatency => ({
      p50: ms(row[`${name}_p50`]),
      p95: ms(row[`${name}_p95`]),
      max: ms(row[`${name}_max`]),
    });
    return {
      events: Number(row['events'] ?? 0),
      hops: {
        acceptedToPublished: latency('acceptedToPublished'),
        publishedToApplied: latency('publishedToApplied'),
        acceptedToApplied: latency('acceptedToApplied'),
      },
    };
  }

  async deadLetterCount(): Promise<number> {
    const row = (await this.table(VIEW_TABLE.dead_letters).count({ n: '*' }).first()) as { n: unknown } | undefined;
    return Number(row?.n ?? 0);
  }

  /** Keyset on the dead letter's source position. */
  async deadLetters(
    limit: number,
    after: string | undefined,
  ): Promise<Array<Pick<StoredRow<'dead_letters'>, (typeof DEAD_LETTER_COLUMNS)[number]>>> {
    const q = this.table(VIEW_TABLE.dead_letters)
      .select(...DEAD_LETTER_COLUMNS)
      .orderBy([{ column: 'source_topic' }, { column: 'source_partition' }, { column: 'source_offset' }])
      .limit(limit);
    if (after) {
      const [topic, partition, offset] = JSON.parse(after) as [string, number, number];
      void q.whereRaw('(source_topic, source_partition, source_offset) > (?, ?, ?)', [topic, partition, offset]);
    }
    return (await q) as Array<Pick<StoredRow<'dead_letters'>, (typeof DEAD_LETTER_COLUMNS)[number]>>;
  }

  async ping(): Promise<void> {
    await this.table(VIEW_TABLE.referrals).select(this.db.raw('1')).limit(1);
  }
}
