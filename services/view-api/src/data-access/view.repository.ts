import type { Knex } from '@passerelle/db';
import type { ReferralListQuery, ServiceGapsQuery, StatsDimension } from '../domain/api.schemas.ts';
import { CELL_KEY_MODULUS } from '../domain/disclosure-control.ts';

const POPULATION = ['indigenous', 'young_women', 'youth_at_risk', 'youth_in_or_leaving_care', 'migrant_workers', 'mental_health_or_addictions'] as const;

const iso = (value: unknown): string | null => (value instanceof Date ? value.toISOString() : value == null ? null : String(value));
const camel = (name: string) => name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Row-level limits the caller's role puts on a person-level query. */
export interface ReferralScopeFilter {
  readonly consentScopes: readonly string[];
  /** For a ministry: only referrals it made or received. */
  readonly ministry?: string;
}

export interface ReferralRow {
  referralId: string;
  status: string;
  statusReason: string | null;
  statusChangedAt: string;
  referringMinistry: string;
  receivingMinistry: string | null;
  receivingServiceType: string;
  serviceCategory: string;
  region: string;
  urgency: string;
  consentScope: string;
  subjectPseudonym: string | null;
  populationFlags: Record<string, boolean | null>;
  requestedAt: string;
  acceptedAt: string | null;
  consentWithdrawn: boolean;
}

const DIMENSION_COLUMNS: Readonly<Record<StatsDimension, string>> = {
  region: 'region',
  category: 'service_category',
  status: 'status',
  referringMinistry: 'referring_ministry',
  receivingMinistry: 'receiving_ministry',
  urgency: 'urgency',
};

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
  ) {}

  private table(name: string) {
    return this.db.withSchema(this.schema).table(name);
  }

  private static toReferral(row: Record<string, unknown>): ReferralRow {
    return {
      referralId: String(row['referral_id']),
      status: String(row['status']),
      statusReason: (row['status_reason'] as string | null) ?? null,
      statusChangedAt: iso(row['status_changed_at']) ?? '',
      referringMinistry: String(row['referring_ministry']),
      receivingMinistry: (row['receiving_ministry'] as string | null) ?? null,
      receivingServiceType: String(row['receiving_service_type']),
      serviceCategory: String(row['service_category']),
      region: String(row['region']),
      urgency: String(row['urgency']),
      consentScope: String(row['consent_scope']),
      subjectPseudonym: (row['subject_pseudonym'] as string | null) ?? null,
      populationFlags: Object.fromEntries(POPULATION.map((p) => [camel(p), (row[p] as boolean | null) ?? null])),
      requestedAt: iso(row['requested_at']) ?? '',
      acceptedAt: iso(row['accepted_at']),
      consentWithdrawn: row['consent_withdrawn_at'] != null,
    };
  }

  /**
   * Keyset page on referral_id (the primary key index). A referral whose consent was withdrawn
   * is no longer served person by person: it stays in the counts only.
   */
  async referrals(query: ReferralListQuery, scope: ReferralScopeFilter, afterId: string | undefined): Promise<ReferralRow[]> {
    const q = this.table('referrals').select('*').whereIn('consent_scope', [...scope.consentScopes]).whereNull('consent_withdrawn_at').orderBy('referral_id').limit(query.limit);
    if (scope.ministry) void q.where((w) => void w.where('referring_ministry', scope.ministry).orWhere('receiving_ministry', scope.ministry));
    if (query.region) void q.where('region', query.region);
    if (query.status) void q.where('status', query.status);
    if (query.category) void q.where('service_category', query.category);
    if (query.referringMinistry) void q.where('referring_ministry', query.referringMinistry);
    if (query.receivingMinistry) void q.where('receiving_ministry', query.receivingMinistry);
    if (query.from) void q.where('requested_at', '>=', query.from);
    if (query.to) void q.where('requested_at', '<', query.to);
    if (afterId) void q.where('referral_id', '>', afterId);
    return ((await q) as Array<Record<string, unknown>>).map((row) => ViewRepository.toReferral(row));
  }

  /** Whether the referral's consent was withdrawn (its person-level data and flow are no longer served). */
  async withdrawn(id: string): Promise<boolean> {
    return (await this.table('referrals').where('referral_id', id).whereNotNull('consent_withdrawn_at').first('referral_id')) !== undefined;
  }

  /** One referral, person-level: none once its consent was withdrawn. */
  async referral(id: string): Promise<ReferralRow | undefined> {
    const row = (await this.table('referrals').where('referral_id', id).whereNull('consent_withdrawn_at').first()) as Record<string, unknown> | undefined;
    return row ? ViewRepository.toReferral(row) : undefined;
  }

  /** The hops of one referral, in the order the projection folds them; no payload. */
  async history(id: string): Promise<Array<{ eventId: string; eventType: string; ministry: string; occurredAt: Date; consumedAt: Date; traceId: string | null }>> {
    const rows = (await this.table('referral_history')
      .select('event_id', 'event_type', 'source_ministry', 'occurred_at', 'consumed_at', 'trace_id')
      .where('referral_id', id)
      .orderBy([{ column: 'occurred_at' }, { column: 'event_id' }])
      .limit(1000)) as Array<Record<string, unknown>>;
    return rows.map((row) => ({
      eventId: String(row['event_id']),
      eventType: String(row['event_type']),
      ministry: String(row['source_ministry']),
      occurredAt: row['occurred_at'] as Date,
      consumedAt: row['consumed_at'] as Date,
      traceId: (row['trace_id'] as string | null) ?? null,
    }));
  }

  /**
   * Counts, cell keys and median days from creation to acceptance per group, and the same over all
   * groups (`overall`, the total, which is a cell of its own), from one scan of the table:
   * GROUPING SETS ((dimensions…), ()). Filters are on indexed columns. Without dimensions, `rows`
   * is the overall row alone.
   */
  async referralStats(dimensions: readonly StatsDimension[], filters: { region?: string; category?: string; from?: string; to?: string }): Promise<{ rows: StatsRow[]; overall: StatsRow }> {
    const columns = dimensions.map((d) => DIMENSION_COLUMNS[d]);
    const list = columns.map(() => '??').join(', ');
    const q = this.table('referrals').select(
      ...columns.map((c, i) => this.db.raw(`coalesce(??::text, 'NONE') as ??`, [c, `d${i}`])),
      columns.length > 0 ? this.db.raw(`grouping(${list})::int as overall_row`, columns) : this.db.raw('1 as overall_row'),
      this.db.raw('count(*)::int as count'),
      this.db.raw('count(record_key)::int as keyed'),
      this.db.raw(`(coalesce(sum(record_key), 0) % ${CELL_KEY_MODULUS})::bigint as cell_key`),
      this.db.raw('count(accepted_at)::int as accepted'),
      this.db.raw(`(coalesce(sum(record_key) filter (where accepted_at is not null), 0) % ${CELL_KEY_MODULUS})::bigint as accepted_key`),
      this.db.raw(`percentile_cont(0.5) within group (order by extract(epoch from (accepted_at - requested_at)) / 86400.0) filter (where accepted_at is not null) as median`),
    );
    if (columns.length > 0) void q.groupByRaw(`grouping sets ((${list}), ())`, columns).orderBy(columns);
    if (filters.region) void q.where('region', filters.region);
    if (filters.category) void q.where('service_category', filters.category);
    if (filters.from) void q.where('requested_at', '>=', filters.from);
    if (filters.to) void q.where('requested_at', '<', filters.to);
    const result = (await q) as Array<Record<string, unknown>>;
    const toRow = (row: Record<string, unknown>, keyed: boolean): StatsRow => ({
      key: keyed ? Object.fromEntries(dimensions.map((d, i) => [d, String(row[`d${i}`])])) : {},
      count: Number(row['count']),
      cellKey: Number(row['cell_key']),
      accepted: Number(row['accepted']),
      acceptedKey: Number(row['accepted_key']),
      medianDaysToAcceptance: row['median'] == null ? null : Number(row['median']),
    });
    const overallRow = result.find((row) => Number(row['overall_row']) !== 0);
    if (!overallRow) throw new Error('the grouping set over all referrals returned no row');
    // A referral without its record key (a view the projector is still keying after an upgrade)
    // would make a cell key wrong and its perturbation predictable: no figure until all are keyed.
    if (Number(overallRow['keyed']) !== Number(overallRow['count'])) throw new UnkeyedViewError();
    const overall = toRow(overallRow, false);
    return { rows: columns.length > 0 ? result.filter((row) => Number(row['overall_row']) === 0).map((row) => toRow(row, true)) : [overall], overall };
  }

  async initiatives(filters: { strategy?: string; pillar?: string }): Promise<Array<Record<string, unknown>>> {
    const q = this.table('initiatives').select('*').orderBy([{ column: 'pillar_id' }, { column: 'initiative_id' }]).limit(1000);
    if (filters.strategy) void q.where('strategy_id', filters.strategy);
    if (filters.pillar) void q.where('pillar_id', filters.pillar);
    return (await q) as Array<Record<string, unknown>>;
  }

  async initiative(id: string): Promise<Record<string, unknown> | undefined> {
    return (await this.table('initiatives').where('initiative_id', id).first()) as Record<string, unknown> | undefined;
  }

  async milestones(id: string): Promise<Array<Record<string, unknown>>> {
    return (await this.table('initiative_milestones')
      .select('status', 'measure_unit', 'measure_quantity', 'source_ministry', 'occurred_at')
      .where('initiative_id', id)
      .orderBy([{ column: 'occurred_at' }, { column: 'event_id' }])
      .limit(1000)) as Array<Record<string, unknown>>;
  }

  async serviceGaps(query: ServiceGapsQuery, afterId: string | undefined): Promise<Array<Record<string, unknown>>> {
    const q = this.table('service_gaps').select('*').orderBy('gap_id').limit(query.limit);
    if (query.status) void q.where('status', query.status);
    if (query.region) void q.where('region', query.region);
    if (query.category) void q.where('service_category', query.category);
    if (query.severity) void q.where('severity', query.severity);
    if (afterId) void q.where('gap_id', '>', afterId);
    return (await q) as Array<Record<string, unknown>>;
  }

  async serviceGapSummary(): Promise<Array<{ region: string; status: string; severity: string; gaps: number }>> {
    const rows = (await this.table('service_gaps')
      .select('region', 'status', 'severity')
      .count({ gaps: '*' })
      .groupBy('region', 'status', 'severity')
      .orderBy('region')) as Array<Record<string, unknown>>;
    return rows.map((row) => ({ region: String(row['region']), status: String(row['status']), severity: String(row['severity']), gaps: Number(row['gaps']) }));
  }

  /** Keyset on the dead letter's source position. */
  async deadLetters(limit: number, after: string | undefined): Promise<Array<Record<string, unknown>>> {
    const q = this.table('dead_letters')
      .select('source_topic', 'source_partition', 'source_offset', 'reason_code', 'event_id', 'event_type', 'published', 'dead_lettered_at')
      .orderBy([{ column: 'source_topic' }, { column: 'source_partition' }, { column: 'source_offset' }])
      .limit(limit);
    if (after) {
      const [topic, partition, offset] = JSON.parse(after) as [string, number, number];
      void q.whereRaw('(source_topic, source_partition, source_offset) > (?, ?, ?)', [topic, partition, offset]);
    }
    return (await q) as Array<Record<string, unknown>>;
  }

  async ping(): Promise<void> {
    await this.table('referrals').select(this.db.raw('1')).limit(1);
  }
}
