/* global URLSearchParams */
// Reporting periods as the view API names them (UTC months, calendar quarters, Ontario fiscal years
// from 1 April), their series of months or quarters, and the office's choice kept in the address's
// hash so that a link reproduces the same table. Pure: no DOM, unit-tested in Node.

export const MEASURES = ['made', 'accepted', 'closed'];
export const PERIOD_KINDS = ['all', 'month', 'quarter', 'fiscal'];
export const TREND_DIMENSIONS = ['month', 'quarter'];
/** The strategy's first year: no period before it is offered. */
export const FIRST_YEAR = 2016;

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const QUARTER = /^(\d{4})-Q([1-4])$/;
const FISCAL_YEAR = /^FY(\d{4})-(\d{2})$/;
const REGION = /^[A-Z][A-Z_]{0,39}$/;
const PILLAR = /^[A-Za-z0-9_.-]{1,100}$/;

/** A period's kind and whole UTC months `[year, month + months)` (month 0-based); null when the name is no period. */
export function parsePeriod(name) {
  if (typeof name !== 'string') return null;
  const month = MONTH.exec(name);
  if (month) return { kind: 'month', name, year: Number(month[1]), month: Number(month[2]) - 1, months: 1 };
  const quarter = QUARTER.exec(name);
  if (quarter) return { kind: 'quarter', name, year: Number(quarter[1]), month: 3 * (Number(quarter[2]) - 1), months: 3 };
  const fiscal = FISCAL_YEAR.exec(name);
  if (fiscal && Number(fiscal[2]) === (Number(fiscal[1]) + 1) % 100)
    return { kind: 'fiscal', name, year: Number(fiscal[1]), month: 3, months: 12 };
  return null;
}

/** The half-open range `[from, to)` a period counts, as ISO 8601 instants in UTC. */
export function periodBounds(period) {
  return {
    from: new Date(Date.UTC(period.year, period.month, 1)).toISOString(),
    to: new Date(Date.UTC(period.year, period.month + period.months, 1)).toISOString(),
  };
}

const pad = (n) => String(n).padStart(2, '0');
/** The name of the month or quarter holding the instant `ms` (UTC), as the API names its buckets. */
export function bucketOf(ms, dimension) {
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  return dimension === 'quarter' ? `${year}-Q${Math.floor(date.getUTCMonth() / 3) + 1}` : `${year}-${pad(date.getUTCMonth() + 1)}`;
}

/** The name of the period of `kind` holding the instant `ms`. */
export function periodAt(kind, ms) {
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  if (kind === 'fiscal') {
    const first = date.getUTCMonth() >= 3 ? year : year - 1;
    return `FY${first}-${pad((first + 1) % 100)}`;
  }
  return bucketOf(ms, kind);
}

/** The periods of a kind that can be chosen, the latest first: from the strategy's first year to the one holding `now`. */
export function periodOptions(kind, now = Date.now()) {
  if (kind === 'all') return [];
  const options = [];
  const last = periodAt(kind, now);
  const start = Date.UTC(FIRST_YEAR, kind === 'fiscal' ? 3 : 0, 1);
  const step = kind === 'month' ? 1 : kind === 'quarter' ? 3 : 12;
  for (let at = start; ;) {
    const name = periodAt(kind, at);
    options.unshift(name);
    if (name === last) break;
    const date = new Date(at);
    at = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + step, 1);
  }
  return options;
}

/** Every month or quarter from `from` to `to` (ISO instants, `to` excluded), in order. */
export function bucketsBetween(from, to, dimension) {
  const buckets = [];
  const step = dimension === 'quarter' ? 3 : 1;
  const start = new Date(from);
  let at = Date.UTC(
    start.getUTCFullYear(),
    dimension === 'quarter' ? start.getUTCMonth() - (start.getUTCMonth() % 3) : start.getUTCMonth(),
    1,
  );
  for (; at < Date.parse(to); at = Date.UTC(new Date(at).getUTCFullYear(), new Date(at).getUTCMonth() + step, 1))
    buckets.push(bucketOf(at, dimension));
  return buckets;
}

/** The first instant of a bucket named as the API names it (`2025-03`, `2025-Q1`). */
const bucketStart = (name) => {
  const period = parsePeriod(name);
  return period ? Date.UTC(period.year, period.month, 1) : NaN;
};

/**
 * A series of published counts, one entry per bucket of the period (or, over all time, from the
 * first bucket published to the last): `count` null when suppressed, 0 when the API listed none
 * (an empty bucket and one published as 0 look alike on purpose).
 */
export function seriesOf(cells, dimension, period) {
  const published = new Map(cells.map((cell) => [cell.key[dimension], cell]));
  let buckets;
  if (period?.from && period?.to) buckets = bucketsBetween(period.from, period.to, dimension);
  else {
    const starts = [...published.keys()].map(bucketStart).filter((ms) => !Number.isNaN(ms));
    if (starts.length === 0) return [];
    const last = new Date(Math.max(...starts));
    const end = Date.UTC(last.getUTCFullYear(), last.getUTCMonth() + (dimension === 'quarter' ? 3 : 1), 1);
    buckets = bucketsBetween(new Date(Math.min(...starts)).toISOString(), new Date(end).toISOString(), dimension);
  }
  return buckets.map((bucket) => {
    const cell = published.get(bucket);
    return { bucket, count: cell ? (cell.suppressed ? null : cell.count) : 0, suppressed: cell?.suppressed ?? false };
  });
}

/** The office's choice: period (null for all time), measure, trend dimension, region and pillar of the drill-downs. */
export const DEFAULT_CHOICE = Object.freeze({ period: null, measure: 'made', trend: 'month', region: null, pillar: null });

/** Reads a choice from the address's hash (`#period=2026-Q1&measure=accepted`); anything unknown keeps its default. */
export function readChoice(hash) {
  const params = new URLSearchParams(String(hash ?? '').replace(/^#/, ''));
  const period = params.get('period');
  const measure = params.get('measure');
  const trend = params.get('trend');
  const region = params.get('region');
  const pillar = params.get('pillar');
  return {
    period: parsePeriod(period) ? period : null,
    measure: MEASURES.includes(measure) ? measure : DEFAULT_CHOICE.measure,
    trend: TREND_DIMENSIONS.includes(trend) ? trend : DEFAULT_CHOICE.trend,
    region: region && REGION.test(region) ? region : null,
    pillar: pillar && PILLAR.test(pillar) ? pillar : null,
  };
}

/** The hash of a choice, defaults left out (the empty string for the default choice). */
export function writeChoice(choice) {
  const params = new URLSearchParams();
  for (const name of ['period', 'measure', 'trend', 'region', 'pillar'])
    if (choice[name] && choice[name] !== DEFAULT_CHOICE[name]) params.set(name, choice[name]);
  const text = params.toString();
  return text ? `#${text}` : '';
}

/** The statistics query of a choice: its grouping, period and measure. */
export function statsQuery(choice, groupBy, extra = {}) {
  const params = new URLSearchParams({ groupBy });
  if (choice.period) params.set('period', choice.period);
  if (choice.measure !== 'made') params.set('measure', choice.measure);
  for (const [name, value] of Object.entries(extra)) if (value) params.set(name, value);
  return `/v1/stats/referrals?${params}`;
}

const WORDS = {
  en: {
    quarter: (q, year, first, last) => `Q${q} ${year} (${first} to ${last})`,
    fiscal: (first) => `${first}–${pad((first + 1) % 100)} fiscal year (April ${first} to March ${first + 1})`,
    quarterShort: (q, year) => `Q${q} ${year}`,
  },
  fr: {
    quarter: (q, year, first, last) => `${q === 1 ? '1er' : `${q}e`} trimestre ${year} (${first} à ${last})`,
    fiscal: (first) => `exercice ${first}-${first + 1} (avril ${first} à mars ${first + 1})`,
    quarterShort: (q, year) => `T${q} ${year}`,
  },
};

const monthName = (locale, year, month, style = 'long', withYear = true) =>
  new Intl.DateTimeFormat(locale, { month: style, ...(withYear ? { year: 'numeric' } : {}), timeZone: 'UTC' }).format(
    new Date(Date.UTC(year, month, 1)),
  );

/** A period named in words in `lang` ('en' or 'fr'): "March 2026", "Q1 2026 (January to March)", "exercice 2025-2026 (…)". */
export function periodLabel(name, lang) {
  const period = parsePeriod(name);
  if (!period) return String(name);
  const locale = lang === 'fr' ? 'fr-CA' : 'en-CA';
  const words = WORDS[lang === 'fr' ? 'fr' : 'en'];
  if (period.kind === 'month') return monthName(locale, period.year, period.month);
  if (period.kind === 'quarter')
    return words.quarter(
      period.month / 3 + 1,
      period.year,
      monthName(locale, period.year, period.month, 'long', false),
      monthName(locale, period.year, period.month + 2, 'long', false),
    );
  return words.fiscal(period.year);
}

/** A bucket of a series, short: "Mar 2026" / "mars 2026", "Q1 2026" / "T1 2026". */
export function bucketLabel(name, lang) {
  const period = parsePeriod(name);
  if (!period) return String(name);
  if (period.kind === 'quarter') return WORDS[lang === 'fr' ? 'fr' : 'en'].quarterShort(period.month / 3 + 1, period.year);
  return monthName(lang === 'fr' ? 'fr-CA' : 'en-CA', period.year, period.month, 'short');
}
