import { publishCount, publishMedian, type DisclosureSettings, type KeyedCount } from './disclosure-control.ts';

const iso = (value: unknown): string | null => (value instanceof Date ? value.toISOString() : value == null ? null : String(value));
const num = (value: unknown): number | null => (value == null ? null : Number(value));

export function presentInitiative(row: Record<string, unknown>) {
  return {
    initiativeId: String(row['initiative_id']),
    strategyId: String(row['strategy_id']),
    pillarId: String(row['pillar_id']),
    pillarTitle: { en: String(row['pillar_title_en']), fr: String(row['pillar_title_fr']) },
    title: { en: String(row['title_en']), fr: String(row['title_fr']) },
    leadMinistry: String(row['lead_ministry']),
    latestMilestone:
      row['latest_status'] == null
        ? null
        : { status: String(row['latest_status']), measureUnit: (row['latest_measure_unit'] as string | null) ?? null, measureQuantity: num(row['latest_measure_quantity']), occurredAt: iso(row['latest_occurred_at']) ?? '' },
    milestones: Number(row['milestones'] ?? 0),
  };
}
export type Initiative = ReturnType<typeof presentInitiative>;

/** Progress per pillar: how many initiatives, by latest milestone status (NONE when no milestone yet). */
export function pillarsOf(initiatives: readonly Initiative[]) {
  const pillars = new Map<string, { pillarId: string; title: { en: string; fr: string }; initiatives: number; byStatus: Record<string, number> }>();
  for (const initiative of initiatives) {
    const pillar = pillars.get(initiative.pillarId) ?? { pillarId: initiative.pillarId, title: initiative.pillarTitle, initiatives: 0, byStatus: {} };
    pillar.initiatives += 1;
    const status = initiative.latestMilestone?.status ?? 'NONE';
    pillar.byStatus[status] = (pillar.byStatus[status] ?? 0) + 1;
    pillars.set(initiative.pillarId, pillar);
  }
  return [...pillars.values()];
}

export function presentMilestone(row: Record<string, unknown>) {
  return {
    status: String(row['status']),
    measureUnit: (row['measure_unit'] as string | null) ?? null,
    measureQuantity: num(row['measure_quantity']),
    sourceMinistry: String(row['source_ministry']),
    occurredAt: iso(row['occurred_at']) ?? '',
  };
}

export function presentServiceGap(row: Record<string, unknown>) {
  return {
    gapId: String(row['gap_id']),
    status: String(row['status']),
    region: String(row['region']),
    serviceCategory: String(row['service_category']),
    severity: String(row['severity']),
    gapCode: String(row['gap_code']),
    reportedBy: String(row['reported_by']),
    reportedAt: iso(row['reported_at']) ?? '',
    resolution: (row['resolution'] as string | null) ?? null,
    resolvedAt: iso(row['resolved_at']),
  };
}

export function summariseGaps(rows: ReadonlyArray<{ region: string; status: string; severity: string; gaps: number }>) {
  const regions = new Map<string, { region: string; open: number; resolved: number; openBySeverity: Record<string, number> }>();
  for (const row of rows) {
    const region = regions.get(row.region) ?? { region: row.region, open: 0, resolved: 0, openBySeverity: {} };
    if (row.status === 'OPEN') {
      region.open += row.gaps;
      region.openBySeverity[row.severity] = (region.openBySeverity[row.severity] ?? 0) + row.gaps;
    } else {
      region.resolved += row.gaps;
    }
    regions.set(row.region, region);
  }
  return { regions: [...regions.values()] };
}

export interface FlowHop {
  eventId: string;
  eventType: string;
  ministry: string;
  occurredAt: Date;
  consumedAt: Date;
  traceId: string | null;
}

/** Each hop with the latency since the previous one and the view's lag; trace links for operators. */
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
        receivedByViewAt: hop.consumedAt.toISOString(),
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

/**
 * Every count through the cell key method (the total is a cell of its own, never a sum of
 * published cells), suppressed when it is still small once perturbed. A median is rounded and
 * shown only behind enough acceptances, as published (disclosure-control.ts).
 */
export function presentStats(groupBy: readonly string[], rows: readonly StatsInput[], overall: StatsInput, settings: DisclosureSettings) {
  const total = publishCount(overall, settings);
  const medianOf = (row: StatsInput) => publishMedian(row.medianDaysToAcceptance, { count: row.accepted, cellKey: row.acceptedKey }, settings);
  return {
    groupBy: [...groupBy],
    threshold: settings.threshold,
    disclosureControl: disclosureNote(settings),
    total: total.value,
    totalSuppressed: total.suppressed,
    // Without a grouping the one row is the total itself, not a cell. A cell published as 0 is left
    // out like an empty one: listing it would say that someone is there.
    cells: (groupBy.length === 0 ? [] : rows).flatMap((row) => {
      const published = publishCount(row, settings);
      if (published.value === 0) return [];
      return [{ key: row.key, count: published.value, suppressed: published.suppressed, medianDaysToAcceptance: published.suppressed ? null : medianOf(row) }];
    }),
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
        'Totals are adjusted on their own, so cells may not add up to the total. Median times are rounded to the nearest week.',
      fr:
        `Pour protéger les personnes survivantes, chaque effectif est légèrement modifié au hasard, d’au plus ${settings.maxPerturbation} en plus ou en moins, ` +
        `toujours de la même façon pour les mêmes aiguillages, et les effectifs de 1 à ${settings.threshold} sont masqués (x). ` +
        'Les totaux sont modifiés séparément : la somme des cellules peut différer du total. Les délais médians sont arrondis à la semaine près.',
    },
  };
}
