import type { InitiativeRow, MilestoneRow, ServiceGapRow, StoredRow } from '@passerelle/coordination-view';
import { publishCount, publishMedian, type DisclosureSettings, type KeyedCount } from './disclosure-control.ts';
import { DEFAULT_MEASURE, type StatsMeasure } from './stats-periods.ts';

const iso = (value: unknown): string | null => (value instanceof Date ? value.toISOString() : value == null ? null : String(value));
const num = (value: unknown): number | null => (value == null ? null : Number(value));

/** What decides whether an initiative is flagged: the stale age, the catalogue's stated targets, and the clock. */
export interface InitiativeFlagging {
  readonly staleAfterDays: number;
  /** Target dates by initiative id, where the strategy's documents state one (schemas/catalogue). */
  readonly targets: ReadonlyMap<string, { readonly date: string; readonly source: string }>;
  readonly now: number;
}

const DAY_MS = 86_400_000;

export function presentInitiative(row: StoredRow<'initiatives'>, flagging: InitiativeFlagging) {
  const id = String(row['initiative_id']);
  const latestAt = row['latest_occurred_at'] instanceof Date ? row['latest_occurred_at'].getTime() : null;
  const daysSince = latestAt === null ? null : Math.max(0, Math.floor((flagging.now - latestAt) / DAY_MS));
  const target = flagging.targets.get(id) ?? null;
  const reached = row['latest_status'] === 'REACHED';
  return {
    ...initiativeFields(row),
    daysSinceLatestMilestone: daysSince,
    target,
    flags: {
      noMilestone: latestAt === null,
      stale: daysSince === null || daysSince > flagging.staleAfterDays,
      behindTarget: target !== null && !reached && Date.parse(`${target.date}T00:00:00Z`) + DAY_MS <= flagging.now,
    },
  };
}

function initiativeFields(row: StoredRow<'initiatives'>) {
  return {
    initiativeId: String(row['initiative_id']),
    strategyId: String(row['strategy_id']),
    pillarId: String(row['pillar_id']),
    pillarTitle: { en: String(row['pillar_title_en']), fr: String(row['pillar_title_fr']) },
    title: { en: String(row['title_en']), fr: String(row['title_fr']) },
    leadMinistry: row['lead_ministry'] as InitiativeRow['lead_ministry'],
    latestMilestone:
      row['latest_status'] == null
        ? null
        : {
            status: row['latest_status'] as NonNullable<InitiativeRow['latest_status']>,
            measureUnit: (row['latest_measure_unit'] as InitiativeRow['latest_measure_unit']) ?? null,
            measureQuantity: num(row['latest_measure_quantity']),
            occurredAt: iso(row['latest_occurred_at']) ?? '',
          },
    milestones: Number(row['milestones'] ?? 0),
  };
}
export type Initiative = ReturnType<typeof presentInitiative>;

/**
 * Progress per pillar: how many initiatives, by latest milestone status (NONE when no milestone
 * yet), and how many are flagged: stale (no milestone within the stale age, or none at all),
 * without any milestone, behind a stated target date.
 */
export function pillarsOf(initiatives: readonly Initiative[]) {
  const pillars = new Map<
    string,
    {
      pillarId: string;
      title: { en: string; fr: string };
      initiatives: number;
      byStatus: Record<string, number>;
      flagged: { stale: number; noMilestone: number; behindTarget: number };
    }
  >();
  for (const initiative of initiatives) {
    const pillar = pillars.get(initiative.pillarId) ?? {
      pillarId: initiative.pillarId,
      title: initiative.pillarTitle,
      initiatives: 0,
      byStatus: {},
      flagged: { stale: 0, noMilestone: 0, behindTarget: 0 },
    };
    pillar.initiatives += 1;
    for (const flag of ['stale', 'noMilestone', 'behindTarget'] as const) if (initiative.flags[flag]) pillar.flagged[flag] += 1;
    const status = initiative.latestMilestone?.status ?? 'NONE';
    pillar.byStatus[status] = (pillar.byStatus[status] ?? 0) + 1;
    pillars.set(initiative.pillarId, pillar);
  }
  return [...pillars.values()];
}

export function presentMilestone(
  row: Pick<StoredRow<'initiative_milestones'>, 'status' | 'measure_unit' | 'measure_quantity' | 'source_ministry' | 'occurred_at'>,
) {
  return {
    status: row['status'] as MilestoneRow['status'],
    measureUnit: (row['measure_unit'] as MilestoneRow['measure_unit']) ?? null,
    measureQuantity: num(row['measure_quantity']),
    sourceMinistry: row['source_ministry'] as MilestoneRow['source_ministry'],
    occurredAt: iso(row['occurred_at']) ?? '',
  };
}

/** Whole days from `from` to `to` (epoch ms), never negative. */
const wholeDays = (from: number, to: number): number => Math.max(0, Math.floor((to - from) / DAY_MS));

const timeOf = (value: unknown): number | null =>
  value instanceof Date ? value.getTime() : value == null ? null : Date.parse(String(value));

export function presentServiceGap(row: StoredRow<'service_gaps'>, now: number) {
  const reportedAt = timeOf(row['reported_at']) ?? now;
  return {
    ageDays: wholeDays(reportedAt, timeOf(row['resolved_at']) ?? now),
    gapId: String(row['gap_id']),
    status: row['status'] as ServiceGapRow['status'],
    region: row['region'] as ServiceGapRow['region'],
    serviceCategory: row['service_category'] as ServiceGapRow['service_category'],
    severity: row['severity'] as ServiceGapRow['severity'],
    gapCode: row['gap_code'] as ServiceGapRow['gap_code'],
    reportedBy: row['reported_by'] as ServiceGapRow['reported_by'],
    reportedAt: iso(row['reported_at']) ?? '',
    resolution: (row['resolution'] as ServiceGapRow['resolution']) ?? null,
    resolvedAt: iso(row['resolved_at']),
  };
}

/** Open gaps' age buckets, in days since reported: a month, a quarter, half a year, longer. */
export const GAP_AGE_BUCKETS = [0, 30, 90, 180] as const;

export interface GapFacts {
  readonly region: string;
  readonly status: string;
  readonly severity: string;
  readonly category: string;
  readonly reportedAt: number;
  readonly resolvedAt: number | null;
}

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Service gaps summarised for drill-down: per region open and resolved, open ones by severity and
 * by category; open ones by age; resolutions per month; the median days to resolve. Gaps are
 * about services, not people: their counts are exact.
 */
export function summariseGaps(gaps: readonly GapFacts[], now: number) {
  const regions = new Map<
    string,
    { region: string; open: number; resolved: number; openBySeverity: Record<string, number>; openByCategory: Record<string, number> }
  >();
  const ages = GAP_AGE_BUCKETS.map((fromDays, index) => ({ fromDays, toDays: GAP_AGE_BUCKETS[index + 1] ?? null, open: 0 }));
  const resolvedByMonth: Record<string, number> = {};
  const daysToResolve: number[] = [];
  for (const gap of gaps) {
    const region = regions.get(gap.region) ?? { region: gap.region, open: 0, resolved: 0, openBySeverity: {}, openByCategory: {} };
    regions.set(gap.region, region);
    if (gap.status === 'OPEN') {
      region.open += 1;
      bump(region.openBySeverity, gap.severity);
      bump(region.openByCategory, gap.category);
      const age = wholeDays(gap.reportedAt, now);
      const bucket = ages.findLast((candidate) => age >= candidate.fromDays);
      if (bucket) bucket.open += 1;
    } else {
      region.resolved += 1;
      if (gap.resolvedAt !== null) {
        bump(resolvedByMonth, new Date(gap.resolvedAt).toISOString().slice(0, 7));
        daysToResolve.push((gap.resolvedAt - gap.reportedAt) / DAY_MS);
      }
    }
  }
  return {
    regions: [...regions.values()].sort((a, b) => a.region.localeCompare(b.region)),
    openByAge: ages,
    resolvedByMonth: Object.entries(resolvedByMonth)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([month, resolved]) => ({ month, resolved })),
    medianDaysToResolve: median(daysToResolve),
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return Math.round(value * 10) / 10;
}

export interface FlowHop {
  eventId: string;
  eventType: string;
  ministry: string;
  occurredAt: Date;
  acceptedAt: Date | null;
  publishedAt: Date | null;
  consumedAt: Date;
  traceId: string | null;
}

const between = (from: Date | null, to: Date | null): number | null => (from && to ? to.getTime() - from.getTime() : null);

/**
 * Each hop with its business time since the previous one, the pipeline's own latency (adapter
 * acceptance → publication → view), kept apart so days of casework never read as pipeline lag,
 * and trace links for operators.
 */
export function presentFlow(referralId: string, hops: readonly FlowHop[], traceUiBase: string) {
  const base = traceUiBase.endsWith('/') ? traceUiBase : `${traceUiBase}/`;
  return {
    referralId,
    traceUiBase: base,
    hops: hops.map((hop, index) => {
      const previous = index > 0 ? hops[index - 1] : undefined;
      return {
        eventId: hop.eventId,
        eventType: hop.eventType,
        ministry: hop.ministry,
        occurredAt: hop.occurredAt.toISOString(),
        acceptedAt: hop.acceptedAt?.toISOString() ?? null,
        publishedAt: hop.publishedAt?.toISOString() ?? null,
        receivedByViewAt: hop.consumedAt.toISOString(),
        businessTimeSincePreviousMs: previous ? hop.occurredAt.getTime() - previous.occurredAt.getTime() : null,
        pipeline: {
          acceptedToPublishedMs: between(hop.acceptedAt, hop.publishedAt),
          publishedToAppliedMs: between(hop.publishedAt, hop.consumedAt),
          acceptedToAppliedMs: between(hop.acceptedAt, hop.consumedAt),
        },
        latencySincePreviousMs: previous ? hop.occurredAt.getTime() - previous.occurredAt.getTime() : null,
        viewLagMs: hop.consumedAt.getTime() - hop.occurredAt.getTime(),
        traceId: hop.traceId,
        traceUrl: hop.traceId ? `${base}${encodeURIComponent(hop.traceId)}` : null,
      };
    }),
  };
}

export interface StatsInput extends KeyedCount {
  readonly key: Record<string, string>;
  readonly accepted: number;
  readonly acceptedKey: number;
  readonly medianDaysToAcceptance: number | null;
}

/** Which referrals a table counted: the measure and the [from, to) of its date (null: unbounded). */
export interface StatsFrame {
  readonly measure: StatsMeasure;
  readonly period: { readonly name: string | null; readonly from: string | null; readonly to: string | null };
}

/**
 * Every count through the cell key method (the total and each margin are cells of their own,
 * never sums of published cells), suppressed when it is still small once perturbed. A median is
 * rounded and shown only behind enough acceptances, as published (disclosure-control.ts).
 */
export function presentStats(
  groupBy: readonly string[],
  rows: readonly StatsInput[],
  overall: StatsInput,
  settings: DisclosureSettings,
  frame: StatsFrame = { measure: DEFAULT_MEASURE, period: { name: null, from: null, to: null } },
  margins: ReadonlyArray<{ readonly by: string; readonly rows: readonly StatsInput[] }> = [],
) {
  const total = publishCount(overall, settings);
  const medianOf = (row: StatsInput) =>
    publishMedian(row.medianDaysToAcceptance, { count: row.accepted, cellKey: row.acceptedKey }, settings);
  // A cell published as 0 is left out like an empty one: listing it would say that someone is there.
  const cellsOf = (list: readonly StatsInput[]) =>
    list.flatMap((row) => {
      const published = publishCount(row, settings);
      if (published.value === 0) return [];
      return [
        {
          key: row.key,
          count: published.value,
          suppressed: published.suppressed,
          medianDaysToAcceptance: published.suppressed ? null : medianOf(row),
        },
      ];
    });
  return {
    groupBy: [...groupBy],
    measure: frame.measure,
    period: { ...frame.period },
    threshold: settings.threshold,
    disclosureControl: disclosureNote(settings),
    total: total.value,
    totalSuppressed: total.suppressed,
    // Without a grouping the one row is the total itself, not a cell.
    cells: groupBy.length === 0 ? [] : cellsOf(rows),
    margins: margins.map((margin) => ({ by: margin.by, cells: cellsOf(margin.rows) })),
    medianDaysToAcceptance: total.suppressed ? null : medianOf(overall),
  };
}

/** What every published table says about how its figures were protected, in both languages. */
export function disclosureNote(settings: DisclosureSettings) {
  return {
    method: 'cell-key-perturbation' as const,
    threshold: settings.threshold,
    maxPerturbation: settings.maxPerturbation,
    medianMinimum: settings.medianMinimum,
    explanation: {
      en:
        `To protect survivors, every count is shown with a small random adjustment of at most ${settings.maxPerturbation} either way, ` +
        `the same each time the same referrals are counted, and counts from 1 to ${settings.threshold} are hidden (x). ` +
        'Totals are adjusted on their own, so cells may not add up to the totals. Median times are rounded to the nearest week.',
      fr:
        `Pour protéger les personnes survivantes, chaque effectif est légèrement modifié au hasard, d’au plus ${settings.maxPerturbation} en plus ou en moins, ` +
        `toujours de la même façon pour les mêmes aiguillages, et les effectifs de 1 à ${settings.threshold} sont masqués (x). ` +
        'Les totaux sont modifiés séparément : la somme des cellules peut différer des totaux. Les délais médians sont arrondis à la semaine près.',
    },
  };
}
