// The overview's parts: each turns an API answer into a table of figures (dom.js) in the page's language.
import { cell, el, figureTable, hiddenCell } from './dom.js';
import { dateTime, label, language, ministryName, number, SEVERITIES, t } from './i18n.js';

/** A count as published: a number (exported without separators), or hidden. */
const count = (value, attrs = {}) => (value === null ? hiddenCell(attrs) : cell(number(value), { attrs, csv: String(value) }));
/** A moment shown in Ontario's time, exported as ISO 8601. */
const moment = (iso) => cell(dateTime(iso), { attrs: { 'data-at': iso }, csv: iso });

/** How published statistics were made, for the end of their export. */
export function statsMethodology(stats) {
  const control = stats.disclosureControl;
  return [
    t('methodStats', control.maxPerturbation, control.threshold, stats.period?.name ?? t('allTime')),
    t('source', dateTime(new Date())),
  ];
}
const exactMethodology = () => [t('methodExact'), t('source', dateTime(new Date()))];

export function referralStats(stats) {
  const regions = [...new Set(stats.cells.map((c) => c.key.region))];
  const statuses = [...new Set(stats.cells.map((c) => c.key.status))];
  if (regions.length === 0) return null;
  const rows = regions.map((region) => ({
    header: label(region),
    cells: statuses.map((status) => {
      const found = stats.cells.find((c) => c.key.region === region && c.key.status === status);
      const attrs = { 'data-cell': `${region}/${status}` };
      return count(found ? (found.suppressed ? null : found.count) : 0, attrs);
    }),
  }));
  const total = count(stats.totalSuppressed ? null : stats.total, { colspan: statuses.length, 'data-testid': 'referral-total' });
  // The total spans the columns on screen; in the export it sits under the first status.
  return figureTable({
    name: t('referralsHeading'),
    testid: 'referral-table',
    caption: t('tableCaptionReferrals'),
    columns: [t('region'), ...statuses.map(label)],
    rows,
    footer: [{ header: t('total'), cells: [total] }],
    methodology: statsMethodology(stats),
  });
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

export function initiatives(pillars) {
  const statuses = [...new Set(pillars.flatMap((p) => Object.keys(p.byStatus)))].sort();
  return figureTable({
    name: t('initiativesHeading'),
    testid: 'initiative-table',
    columns: [t('pillar'), t('initiatives'), ...statuses.map(label)],
    rows: pillars.map((pillar) => ({
      attrs: { 'data-pillar': pillar.pillarId },
      header: pillar.title[language()],
      cells: [count(pillar.initiatives), ...statuses.map((s) => count(pillar.byStatus[s] || 0))],
    })),
    methodology: exactMethodology(),
  });
}

export function flow(hops) {
  return figureTable({
    name: t('flowHeading'),
    testid: 'flow-table',
    columns: ['event', 'ministry', 'occurredAt', 'receivedAt', 'latency', 'trace'].map((k) => t(k)),
    rows: hops.map((hop) => ({
      attrs: { 'data-event': hop.eventId },
      cells: [
        label(hop.eventType),
        ministryName(hop.ministry),
        moment(hop.occurredAt),
        moment(hop.receivedByViewAt),
        hop.latencySincePreviousMs === null ? '—' : t('seconds', number(Math.round(hop.latencySincePreviousMs / 1000))),
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
