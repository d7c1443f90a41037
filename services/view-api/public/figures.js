// The overview's parts: each turns an API answer into a table of figures (dom.js) in the page's language.
import { barChart } from './chart.js';
import { cell, el, figureTable, hiddenCell } from './dom.js';
import { businessTime, latency } from './durations.js';
import { calendarDate, date, dateTime, label, language, locale, ministryName, number, phrase, SEVERITIES, t } from './i18n.js';
import { bucketLabel, periodLabel, seriesOf } from './periods.js';

/** A count as published: a number (exported without separators), or hidden. */
const count = (value, attrs = {}) => (value === null ? hiddenCell(attrs) : cell(number(value), { attrs, csv: String(value) }));
/** A moment shown in Ontario's time, exported as ISO 8601. */
const moment = (iso) => cell(dateTime(iso), { attrs: { 'data-at': iso }, csv: iso });

/** The period a table counted, in words: its name, or all time. */
export const periodText = (stats) => (stats.period?.name ? periodLabel(stats.period.name, language()) : t('allTime'));

/** How published statistics were made, for the end of their export: the method, the period and what was counted. */
export function statsMethodology(stats) {
  const control = stats.disclosureControl;
  return [
    t('methodStats', control.maxPerturbation, control.threshold, periodText(stats)),
    t('counted', phrase('measureDefinition', stats.measure ?? 'made')),
    t('source', dateTime(new Date())),
  ];
}
const exactMethodology = () => [t('methodExact'), t('source', dateTime(new Date()))];

/** The order statuses are read in: the referral's path, the final ones last. */
const STATUS_ORDER = ['REQUESTED', 'RECEIVED', 'ACCEPTED', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED', 'DECLINED', 'WITHDRAWN'];
const byStatusOrder = (a, b) => (STATUS_ORDER.indexOf(a) + 1 || 99) - (STATUS_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b);

/**
 * A two-dimension table of published counts (rows × columns) with its totals: the margins the API
 * publishes for each dimension alone as the last column and the last row, and the overall total in
 * the corner. Each is perturbed on its own, so cells need not add up to them.
 */
export function crossTable(stats, { rows: rowDim, columns: colDim, testid, name, caption, totalTestid, columnOrder = byStatusOrder }) {
  const margin = (dimension) => stats.margins?.find((m) => m.by === dimension)?.cells ?? [];
  const keysOf = (dimension, sort) =>
    [...new Set([...stats.cells.map((c) => c.key[dimension]), ...margin(dimension).map((c) => c.key[dimension])])].sort(sort);
  const rowKeys = keysOf(rowDim, (a, b) => a.localeCompare(b));
  const colKeys = keysOf(colDim, columnOrder);
  if (rowKeys.length === 0) return null;
  const published = (found, attrs) => count(found ? (found.suppressed ? null : found.count) : 0, attrs);
  const marginCell = (dimension, key) =>
    published(
      margin(dimension).find((c) => c.key[dimension] === key),
      { 'data-margin': `${dimension}/${key}` },
    );
  const rows = rowKeys.map((row) => ({
    attrs: { [`data-${rowDim}`]: row },
    header: label(row),
    cells: [
      ...colKeys.map((col) =>
        published(
          stats.cells.find((c) => c.key[rowDim] === row && c.key[colDim] === col),
          { 'data-cell': `${row}/${col}` },
        ),
      ),
      marginCell(rowDim, row),
    ],
  }));
  const total = count(stats.totalSuppressed ? null : stats.total, { 'data-testid': totalTestid, 'data-margin': 'total' });
  return figureTable({
    name,
    testid,
    caption,
    columns: [t(rowDim), ...colKeys.map(label), t('total')],
    rows,
    footer: [{ header: t('total'), cells: [...colKeys.map((col) => marginCell(colDim, col)), total] }],
    methodology: statsMethodology(stats),
  });
}

/** The office's table: the period's referrals by region and status, with totals. */
export function referralStats(stats) {
  return crossTable(stats, {
    rows: 'region',
    columns: 'status',
    testid: 'referral-table',
    totalTestid: 'referral-total',
    name: t('referralsHeading'),
    caption: t('crossCaption', phrase('measurePhrase', stats.measure ?? 'made'), periodText(stats), t('regionWord'), t('statusWord')),
  });
}

/** One region's referrals by service category and status, with totals. */
export function regionStats(stats, region) {
  return crossTable(stats, {
    rows: 'category',
    columns: 'status',
    testid: 'region-table',
    totalTestid: 'region-total',
    name: `${t('regionHeading')} — ${label(region)}`,
    caption: `${label(region)}${language() === 'fr' ? '\u202f: ' : ': '}${t(
      'crossCaption',
      phrase('measurePhrase', stats.measure ?? 'made'),
      periodText(stats),
      t('categoryWord'),
      t('statusWord'),
    )}`,
  });
}

/**
 * The period's counts by month or quarter: a bar chart for the eye and the same figures in a table
 * beneath, a hidden bucket shown as hidden (x), never as 0.
 */
export function trend(stats, dimension) {
  const series = seriesOf(stats.cells, dimension, stats.period);
  if (series.length === 0) return null;
  const measure = phrase('measurePhrase', stats.measure ?? 'made');
  const dimensionWord = t(dimension === 'quarter' ? 'trendQuarter' : 'trendMonth');
  const chart = barChart({
    values: series.map((s) => s.count),
    figures: series.map((s) => (s.count === null ? 'x' : number(s.count))),
    labels: series.map((s) => bucketLabel(s.bucket, language())),
    name: t('chartName', measure, periodText(stats), dimensionWord),
  });
  const table = figureTable({
    name: t('trendHeading'),
    testid: 'trend-table',
    caption: t('trendCaption', measure, periodText(stats), dimensionWord),
    columns: [t(dimension), t('count')],
    rows: series.map((s) => ({
      attrs: { 'data-bucket': s.bucket },
      header: cell(bucketLabel(s.bucket, language()), { csv: s.bucket }),
      cells: [count(s.count, { 'data-count': '' })],
    })),
    footer: [{ header: t('total'), cells: [count(stats.totalSuppressed ? null : stats.total, { 'data-testid': 'trend-total' })] }],
    methodology: statsMethodology(stats),
  });
  return el('div', { class: 'trend' }, el('div', { class: 'chart' }, chart), table);
}

const DAY_MS = 86_400_000;
/** Whole days since the referral was made. */
export const ageInDays = (item, now = Date.now()) => Math.floor((now - Date.parse(item.requestedAt)) / DAY_MS);

/** Whether `ministry` made the referral, received it, or both (a referral within one ministry). */
export function directionOf(item, ministry) {
  const made = item.referringMinistry === ministry;
  const received = item.receivingMinistry === ministry;
  return made && received ? 'madeAndReceived' : made ? 'made' : 'received';
}

/** The referrals the caller may see; for a ministry, whether it made or received each. All with their age. */
export function referralList(items, { ministry, name = t('listHeading') } = {}) {
  return figureTable({
    name,
    testid: 'referral-list-table',
    columns: [
      t('referralId'),
      ...(ministry ? [t('direction')] : []),
      t('referringMinistry'),
      t('receivingMinistry'),
      t('status'),
      t('ageDays'),
    ],
    rows: items.map((item) => ({
      attrs: { 'data-referral': item.referralId },
      cells: [
        item.referralId,
        ...(ministry ? [t(directionOf(item, ministry))] : []),
        ministryName(item.referringMinistry),
        ministryName(item.receivingMinistry),
        label(item.status),
        count(ageInDays(item), { 'data-age': '' }),
      ],
    })),
    methodology: exactMethodology(),
  });
}

/** Exact counts by status of the referrals shown (the Indigenous partner's own, which it sees one by one anyway). */
export function countsByStatus(items) {
  const counts = new Map();
  for (const item of items) counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
  return figureTable({
    name: t('ownHeading'),
    testid: 'own-status-table',
    columns: [t('status'), t('count')],
    rows: [...counts].map(([status, n]) => ({ attrs: { 'data-status': status }, header: label(status), cells: [count(n)] })),
    footer: [{ header: t('total'), cells: [count(items.length, { 'data-testid': 'own-total' })] }],
    methodology: exactMethodology(),
  });
}

/** What the projector set aside, with where it came from and why; the re-drive command is beside the table. */
export function deadLetters(items) {
  return figureTable({
    name: t('pipelineHeading'),
    testid: 'dead-letter-table',
    columns: [t('position'), t('reasonCode'), t('event'), t('deadLetteredAt'), t('published')],
    rows: items.map((d) => ({
      attrs: { 'data-position': `${d.sourceTopic}:${d.sourcePartition}:${d.sourceOffset}` },
      cells: [
        `${d.sourceTopic}:${d.sourcePartition}:${d.sourceOffset}`,
        cell(d.reasonCode, { content: [el('code', {}, d.reasonCode)] }),
        d.eventType ? label(d.eventType) : '—',
        moment(d.deadLetteredAt),
        t(d.published ? 'yes' : 'no'),
      ],
    })),
    methodology: exactMethodology(),
  });
}

function bar(fraction) {
  const node = el('span', { class: 'bar', 'aria-hidden': 'true' });
  node.style.width = `${Math.round(fraction * 6)}rem`;
  return node;
}

/** Unresolved gaps per region with their severities as text (no hover needed), and a bar for the eye. */
export function serviceGaps(regions) {
  const max = Math.max(1, ...regions.map((r) => r.open));
  return figureTable({
    name: t('gapsHeading'),
    testid: 'gaps-table',
    columns: [t('region'), t('open'), ...SEVERITIES.map((s) => t('openBySeverity', label(s))), t('resolved')],
    rows: regions.map((region) => ({
      attrs: { 'data-region': region.region },
      header: label(region.region),
      cells: [
        cell(number(region.open), {
          attrs: { 'data-testid': `gaps-open-${region.region}` },
          csv: String(region.open),
          content: [bar(region.open / max), number(region.open)],
        }),
        ...SEVERITIES.map((s) => count(region.openBySeverity[s] ?? 0, { 'data-severity': s })),
        count(region.resolved),
      ],
    })),
    methodology: exactMethodology(),
  });
}

const FLAGS = [
  ['stale', 'flagStale'],
  ['noMilestone', 'flagNoMilestone'],
  ['behindTarget', 'flagBehindTarget'],
];

/** Initiatives per pillar by latest milestone status, and how many are flagged (in words in the headers). */
export function initiatives(pillars) {
  const statuses = [...new Set(pillars.flatMap((p) => Object.keys(p.byStatus)))].sort();
  return figureTable({
    name: t('initiativesHeading'),
    testid: 'initiative-table',
    columns: [t('pillar'), t('initiatives'), ...statuses.map(label), ...FLAGS.map(([, key]) => t(key))],
    rows: pillars.map((pillar) => ({
      attrs: { 'data-pillar': pillar.pillarId },
      header: pillar.title[language()],
      cells: [
        count(pillar.initiatives),
        ...statuses.map((s) => count(pillar.byStatus[s] || 0)),
        ...FLAGS.map(([flag]) => count(pillar.flagged?.[flag] ?? 0, { 'data-flagged': flag })),
      ],
    })),
    methodology: exactMethodology(),
  });
}

/** A pillar's initiatives (or all): lead ministry, latest milestone and its date, days since, target, and the flags in words. */
export function initiativeList(items, pillarName) {
  if (items.length === 0) return null;
  return figureTable({
    name: t('initiativeListHeading'),
    testid: 'initiative-list-table',
    caption: t('initiativeListCaption', pillarName),
    columns: [t('initiative'), t('leadMinistry'), t('latestMilestone'), t('milestoneDate'), t('daysSince'), t('targetDate'), t('flags')],
    rows: items.map((item) => {
      const flags = FLAGS.filter(([flag]) => item.flags[flag]).map(([, key]) => t(key));
      const at = item.latestMilestone?.occurredAt;
      return {
        attrs: { 'data-initiative': item.initiativeId },
        header: item.title[language()],
        cells: [
          ministryName(item.leadMinistry),
          label(item.latestMilestone?.status ?? 'NONE'),
          at ? cell(date(at), { attrs: { 'data-at': at }, csv: at.slice(0, 10) }) : '—',
          item.daysSinceLatestMilestone === null ? '—' : count(item.daysSinceLatestMilestone),
          item.target ? cell(calendarDate(item.target.date), { csv: item.target.date }) : t('noTarget'),
          cell(flags.length > 0 ? flags.join(t('flagSeparator')) : t('noFlag'), {
            attrs: {
              'data-flags': FLAGS.filter(([flag]) => item.flags[flag])
                .map(([flag]) => flag)
                .join(' '),
              class: flags.length ? 'flagged' : undefined,
            },
          }),
        ],
      };
    }),
    methodology: exactMethodology(),
  });
}

/** Unresolved gaps by region (rows) and service category (columns). */
export function gapsByCategory(regions) {
  const categories = [...new Set(regions.flatMap((r) => Object.keys(r.openByCategory ?? {})))].sort();
  if (categories.length === 0) return null;
  return figureTable({
    name: t('gapsCategoryHeading'),
    testid: 'gaps-category-table',
    columns: [t('region'), ...categories.map(label), t('total')],
    rows: regions.map((region) => ({
      attrs: { 'data-region': region.region },
      header: label(region.region),
      cells: [...categories.map((c) => count(region.openByCategory?.[c] ?? 0, { 'data-category': c })), count(region.open)],
    })),
    methodology: exactMethodology(),
  });
}

/** Unresolved gaps by days since reported: a month, a quarter, half a year, longer. */
export function gapsByAge(buckets) {
  return figureTable({
    name: t('gapsAgeHeading'),
    testid: 'gaps-age-table',
    columns: [t('openFor'), t('open')],
    rows: buckets.map((b) => ({
      attrs: { 'data-from-days': b.fromDays },
      header: b.toDays === null ? t('ageOver', number(b.fromDays)) : t('ageRange', number(b.fromDays), number(b.toDays)),
      cells: [count(b.open)],
    })),
    footer: [{ header: t('total'), cells: [count(buckets.reduce((sum, b) => sum + b.open, 0))] }],
    methodology: exactMethodology(),
  });
}

/** Gaps resolved per UTC month. */
export function gapsResolvedByMonth(months) {
  if (months.length === 0) return null;
  return figureTable({
    name: t('gapsResolvedHeading'),
    testid: 'gaps-resolved-table',
    columns: [t('month'), t('resolved')],
    rows: months.map((m) => ({
      attrs: { 'data-month': m.month },
      header: cell(bucketLabel(m.month, language()), { csv: m.month }),
      cells: [count(m.resolved)],
    })),
    methodology: exactMethodology(),
  });
}

/** The unresolved gaps themselves, oldest first (a region's alone when one is chosen): services, never people. */
export function gapList(items) {
  if (items.length === 0) return null;
  return figureTable({
    name: t('gapListHeading'),
    testid: 'gap-list-table',
    columns: [t('region'), t('category'), t('severity'), t('gapCode'), t('reportedOn'), t('openDays')],
    rows: [...items]
      .sort((a, b) => b.ageDays - a.ageDays)
      .map((gap) => ({
        attrs: { 'data-gap': gap.gapId },
        cells: [
          label(gap.region),
          label(gap.serviceCategory),
          label(gap.severity),
          label(gap.gapCode),
          cell(date(gap.reportedAt), { attrs: { 'data-at': gap.reportedAt }, csv: gap.reportedAt }),
          count(gap.ageDays),
        ],
      })),
    methodology: exactMethodology(),
  });
}

const pipelineMethodology = () => [t('methodPipeline'), t('source', dateTime(new Date()))];
/** A latency in ms as the page writes it, exported as plain milliseconds. */
const ms = (value, attrs = {}) =>
  value === null || value === undefined
    ? '—'
    : cell(latency(value, locale()), { attrs: { 'data-ms': value, ...attrs }, csv: String(value) });

/** The pipeline's own latency per hop over the window: p50, p95, max. */
export function pipelineLatency(pipeline) {
  const hops = [
    ['acceptedToPublishedMs', 'hopAcceptedToPublished'],
    ['publishedToAppliedMs', 'hopPublishedToApplied'],
    ['acceptedToAppliedMs', 'hopAcceptedToApplied'],
  ];
  return figureTable({
    name: t('pipelineHealthHeading'),
    testid: 'pipeline-latency-table',
    caption: t('latencyCaption', number(pipeline.latency.events), number(pipeline.windowHours)),
    columns: [t('hop'), t('p50'), t('p95'), t('max')],
    rows: hops.map(([key, name]) => ({
      attrs: { 'data-hop': key },
      header: t(name),
      cells: ['p50', 'p95', 'max'].map((p) => ms(pipeline.latency[key][p], { 'data-percentile': p })),
    })),
    methodology: pipelineMethodology(),
  });
}

/** Each service's outbox (adapters) and consumer lag (the projector); one that did not answer says so, never zeros. */
export function pipelineServices(services) {
  if (services.length === 0) return null;
  const seconds = (value) =>
    value === null ? '—' : cell(latency(value * 1000, locale()), { attrs: { 'data-seconds': value }, csv: String(value) });
  return figureTable({
    name: t('servicesCaption'),
    testid: 'pipeline-services-table',
    caption: t('servicesCaption'),
    columns: [t('service'), t('reachable'), t('outboxDepth'), t('oldestWaiting'), t('consumerLag')],
    rows: services.map((s) => ({
      attrs: { 'data-service': s.service },
      header: cell(s.service, { content: [el('code', {}, s.service)] }),
      cells: s.reachable
        ? [
            t('yes'),
            s.outboxDepth === null ? '—' : count(s.outboxDepth, { 'data-outbox': '' }),
            seconds(s.oldestUnpublishedAgeSeconds),
            s.consumerLag.length === 0
              ? '—'
              : count(
                  s.consumerLag.reduce((sum, l) => sum + l.lag, 0),
                  { 'data-lag': '' },
                ),
          ]
        : [cell(t('notReachable'), { attrs: { 'data-unreachable': 'true' } }), '—', '—', '—'],
    })),
    methodology: pipelineMethodology(),
  });
}

/** The projector's lag per topic and partition. */
export function consumerLag(services) {
  const rows = services.flatMap((s) => s.consumerLag.map((l) => ({ service: s.service, ...l })));
  if (rows.length === 0) return null;
  return figureTable({
    name: t('lagCaption'),
    testid: 'consumer-lag-table',
    caption: t('lagCaption'),
    columns: [t('service'), t('topicPartition'), t('consumerLag')],
    rows: rows.map((r) => ({
      attrs: { 'data-position': `${r.topic}:${r.partition}` },
      cells: [r.service, `${r.topic}:${r.partition}`, count(r.lag)],
    })),
    methodology: pipelineMethodology(),
  });
}

/**
 * A referral's hops: business time since the previous one (days of casework) and the pipeline's own
 * time (adapter → Kafka → view) in columns of their own, never one read as the other.
 */
export function flow(hops) {
  const business = (value) =>
    value === null ? '—' : cell(businessTime(value, locale()), { attrs: { 'data-business-ms': value }, csv: String(value) });
  return figureTable({
    name: t('flowHeading'),
    testid: 'flow-table',
    columns: [
      t('event'),
      t('ministry'),
      t('occurredAt'),
      t('businessTime'),
      t('pipelineAcceptedToPublished'),
      t('pipelinePublishedToApplied'),
      t('pipelineAcceptedToApplied'),
      t('receivedAt'),
      t('trace'),
    ],
    rows: hops.map((hop) => ({
      attrs: { 'data-event': hop.eventId },
      cells: [
        label(hop.eventType),
        ministryName(hop.ministry),
        moment(hop.occurredAt),
        business(hop.businessTimeSincePreviousMs),
        ms(hop.pipeline?.acceptedToPublishedMs ?? null, { 'data-pipeline': 'acceptedToPublished' }),
        ms(hop.pipeline?.publishedToAppliedMs ?? null, { 'data-pipeline': 'publishedToApplied' }),
        ms(hop.pipeline?.acceptedToAppliedMs ?? null, { 'data-pipeline': 'acceptedToApplied' }),
        moment(hop.receivedByViewAt),
        hop.traceUrl
          ? cell(hop.traceUrl, {
              content: [
                el('a', { href: hop.traceUrl, target: '_blank', rel: 'noopener' }, `${t('openTrace')} ${hop.traceId.slice(0, 8)}…`),
              ],
            })
          : '—',
      ],
    })),
    methodology: exactMethodology(),
  });
}
