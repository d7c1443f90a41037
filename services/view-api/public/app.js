/* global document, navigator, sessionStorage, URLSearchParams */
// The dashboard: plain ES module, no build step. It calls the view API with the bearer token given.

const STRINGS = {
  en: {
    title: 'Passerelle — coordination dashboard',
    skip: 'Skip to content',
    authHeading: 'Access',
    tokenLabel: 'Bearer token',
    tokenHelp: 'Paste a token, or mint one with: npm run view-api -- token coordination-office',
    load: 'Load',
    referralsHeading: 'Referrals by status and region',
    suppressionNote: 'Figures are protected: each count is slightly perturbed, and small counts are hidden (x).',
    median: 'Median time from referral to acceptance',
    gapsHeading: 'Open service gaps by region',
    initiativesHeading: 'Initiatives per pillar',
    flowHeading: 'Referral flow (operators)',
    flowLabel: 'Referral id',
    showFlow: 'Show flow',
    switchTo: 'Français',
    region: 'Region',
    total: 'Total',
    suppressed: (t) => `hidden (a count from 1 to ${t})`,
    suppressedShort: () => 'x',
    days: (d) => `${d} days`,
    notShown: 'not shown (too few cases)',
    pillar: 'Pillar',
    initiatives: 'Initiatives',
    noMilestone: 'No milestone yet',
    open: 'open',
    event: 'Event',
    ministry: 'Ministry',
    occurredAt: 'Occurred at',
    receivedAt: 'Received by the view',
    latency: 'Since previous hop',
    trace: 'Trace',
    openTrace: 'Open trace',
    loading: 'Loading…',
    loaded: 'Figures loaded.',
    noToken: 'Enter a token first.',
    denied: 'Not available for your role.',
    unauthorized: 'The token is missing, expired or invalid.',
    failed: 'Could not load this part.',
    notFound: 'No referral with this id that you may see.',
    none: 'Nothing to show.',
    tableCaptionReferrals: 'Referral counts by region (rows) and status (columns)',
  },
  fr: {
    title: 'Passerelle — tableau de bord de coordination',
    skip: 'Aller au contenu',
    authHeading: 'Accès',
    tokenLabel: 'Jeton d’accès (bearer)',
    tokenHelp: 'Collez un jeton, ou créez-en un avec : npm run view-api -- token coordination-office',
    load: 'Charger',
    referralsHeading: 'Aiguillages par statut et par région',
    suppressionNote: 'Les chiffres sont protégés : chaque effectif est légèrement modifié, et les petits effectifs sont masqués (x).',
    median: 'Délai médian entre l’aiguillage et l’acceptation',
    gapsHeading: 'Lacunes de services ouvertes par région',
    initiativesHeading: 'Initiatives par pilier',
    flowHeading: 'Parcours d’un aiguillage (exploitation)',
    flowLabel: 'Identifiant de l’aiguillage',
    showFlow: 'Afficher le parcours',
    switchTo: 'English',
    region: 'Région',
    total: 'Total',
    suppressed: (t) => `masqué (effectif de 1 à ${t})`,
    suppressedShort: () => 'x',
    days: (d) => `${d} jours`,
    notShown: 'non affiché (trop peu de cas)',
    pillar: 'Pilier',
    initiatives: 'Initiatives',
    noMilestone: 'Aucun jalon',
    open: 'ouvertes',
    event: 'Événement',
    ministry: 'Ministère',
    occurredAt: 'Survenu le',
    receivedAt: 'Reçu par la vue',
    latency: 'Depuis l’étape précédente',
    trace: 'Trace',
    openTrace: 'Ouvrir la trace',
    loading: 'Chargement…',
    loaded: 'Données chargées.',
    noToken: 'Saisissez d’abord un jeton.',
    denied: 'Non disponible pour votre rôle.',
    unauthorized: 'Le jeton est absent, expiré ou invalide.',
    failed: 'Impossible de charger cette partie.',
    notFound: 'Aucun aiguillage de cet identifiant que vous puissiez voir.',
    none: 'Rien à afficher.',
    tableCaptionReferrals: 'Aiguillages par région (lignes) et statut (colonnes)',
  },
};

const CODES = {
  fr: {
    TORONTO: 'Toronto', CENTRAL: 'Centre', EAST: 'Est', WEST: 'Ouest', NORTH_EAST: 'Nord-Est', NORTH_WEST: 'Nord-Ouest', PROVINCE_WIDE: 'Toute la province',
    REQUESTED: 'Demandé', RECEIVED: 'Reçu', ACCEPTED: 'Accepté', DECLINED: 'Refusé', IN_PROGRESS: 'En cours', ON_HOLD: 'En attente', COMPLETED: 'Terminé', WITHDRAWN: 'Retiré',
    PLANNED: 'Prévu', STARTED: 'Commencé', REACHED: 'Atteint', DELAYED: 'Retardé', AT_RISK: 'À risque', NONE: 'Aucun jalon',
    LOW: 'Faible', MODERATE: 'Modérée', HIGH: 'Élevée', CRITICAL: 'Critique',
  },
  en: {
    TORONTO: 'Toronto', CENTRAL: 'Central', EAST: 'East', WEST: 'West', NORTH_EAST: 'North East', NORTH_WEST: 'North West', PROVINCE_WIDE: 'Province-wide',
    REQUESTED: 'Requested', RECEIVED: 'Received', ACCEPTED: 'Accepted', DECLINED: 'Declined', IN_PROGRESS: 'In progress', ON_HOLD: 'On hold', COMPLETED: 'Completed', WITHDRAWN: 'Withdrawn',
    PLANNED: 'Planned', STARTED: 'Started', REACHED: 'Reached', DELAYED: 'Delayed', AT_RISK: 'At risk', NONE: 'No milestone yet',
    LOW: 'Low', MODERATE: 'Moderate', HIGH: 'High', CRITICAL: 'Critical',
  },
};

let lang = new URLSearchParams(document.location.search).get('lang') || ((navigator.language || 'en').toLowerCase().startsWith('fr') ? 'fr' : 'en');
let lastData = null;

const t = (key, ...args) => {
  const value = STRINGS[lang][key];
  return typeof value === 'function' ? value(...args) : value;
};
const label = (code) => CODES[lang][code] || code;
const number = (n) => new Intl.NumberFormat(lang === 'fr' ? 'fr-CA' : 'en-CA').format(n);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}
const { Node } = globalThis;

function applyLanguage() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.getAttribute('data-i18n'));
  const toggle = document.getElementById('lang-toggle');
  toggle.textContent = t('switchTo');
  toggle.setAttribute('lang', lang === 'fr' ? 'en' : 'fr');
  if (lastData) render(lastData);
}

function token() {
  return document.getElementById('token').value.trim();
}

async function api(path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token()}`, accept: 'application/json' } });
  if (response.status === 401) return { error: t('unauthorized') };
  if (response.status === 403) return { error: 'denied' };
  // A referral that does not exist and one the role may not see get the same answer.
  if (response.status === 404) return { error: 'notFound' };
  if (!response.ok) return { error: 'failed' };
  return { data: await response.json() };
}

function message(container, key) {
  container.replaceChildren(el('p', { class: key === 'none' ? 'help' : 'error' }, ['denied', 'failed', 'notFound', 'none'].includes(key) ? t(key) : key));
}

function renderReferrals(result) {
  const container = document.getElementById('referrals');
  const median = document.getElementById('median');
  if (result.error) {
    message(container, result.error);
    median.textContent = '—';
    return;
  }
  const stats = result.data;
  // The API says how its figures were protected, in both languages: shown as it says it.
  const note = document.getElementById('disclosure-note');
  note.textContent = stats.disclosureControl.explanation[lang] ?? '';
  const regions = [...new Set(stats.cells.map((c) => c.key.region))];
  const statuses = [...new Set(stats.cells.map((c) => c.key.status))];
  if (regions.length === 0) {
    message(container, 'none');
  } else {
    const table = el('table', { 'data-testid': 'referral-table' }, el('caption', { class: 'help' }, t('tableCaptionReferrals')));
    table.append(el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('region')), ...statuses.map((s) => el('th', { scope: 'col' }, label(s))))));
    const body = el('tbody');
    for (const region of regions) {
      const row = el('tr', {}, el('th', { scope: 'row' }, label(region)));
      for (const status of statuses) {
        const cell = stats.cells.find((c) => c.key.region === region && c.key.status === status);
        if (!cell) row.append(el('td', { 'data-cell': `${region}/${status}` }, number(0)));
        else if (cell.suppressed) row.append(el('td', { class: 'suppressed', 'data-cell': `${region}/${status}`, 'data-suppressed': 'true', title: t('suppressed', stats.threshold) }, el('span', { 'aria-hidden': 'true' }, t('suppressedShort', stats.threshold)), el('span', { class: 'skip' }, t('suppressed', stats.threshold))));
        else row.append(el('td', { 'data-cell': `${region}/${status}` }, number(cell.count)));
      }
      body.append(row);
    }
    table.append(body);
    const totalText = stats.totalSuppressed ? t('suppressed', stats.threshold) : number(stats.total);
    table.append(el('tfoot', {}, el('tr', {}, el('th', { scope: 'row' }, t('total')), el('td', { colspan: statuses.length, 'data-testid': 'referral-total' }, totalText))));
    container.replaceChildren(table);
  }
  median.textContent = stats.medianDaysToAcceptance === null ? t('notShown') : t('days', number(stats.medianDaysToAcceptance));
  median.setAttribute('data-value', stats.medianDaysToAcceptance === null ? '' : String(stats.medianDaysToAcceptance));
}

function renderGaps(result) {
  const container = document.getElementById('gaps');
  if (result.error) return message(container, result.error);
  const regions = result.data.regions;
  if (regions.length === 0) return message(container, 'none');
  const max = Math.max(1, ...regions.map((r) => r.open));
  const list = el('div', { role: 'list', 'aria-label': t('gapsHeading') });
  for (const region of regions) {
    const bar = el('div', { class: 'bar', 'aria-hidden': 'true' });
    bar.style.width = `${(region.open / max) * 100}%`;
    const severities = Object.entries(region.openBySeverity).map(([s, n]) => `${label(s)} ${number(n)}`).join(', ');
    list.append(
      el('div', { class: 'bar-row', role: 'listitem', 'data-region': region.region, title: severities },
        el('span', {}, label(region.region)),
        bar,
        el('span', { 'data-testid': `gaps-open-${region.region}` }, number(region.open)),
      ),
    );
  }
  container.replaceChildren(list);
}

function renderInitiatives(result) {
  const container = document.getElementById('initiatives');
  if (result.error) return message(container, result.error);
  const pillars = result.data.pillars;
  if (pillars.length === 0) return message(container, 'none');
  const statuses = [...new Set(pillars.flatMap((p) => Object.keys(p.byStatus)))].sort();
  const table = el('table', { 'data-testid': 'initiative-table' });
  table.append(el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('pillar')), el('th', { scope: 'col' }, t('initiatives')), ...statuses.map((s) => el('th', { scope: 'col' }, label(s))))));
  const body = el('tbody');
  for (const pillar of pillars) {
    body.append(
      el('tr', { 'data-pillar': pillar.pillarId },
        el('th', { scope: 'row' }, pillar.title[lang]),
        el('td', {}, number(pillar.initiatives)),
        ...statuses.map((s) => el('td', {}, number(pillar.byStatus[s] || 0))),
      ),
    );
  }
  table.append(body);
  container.replaceChildren(table);
}

function renderFlow(result) {
  const container = document.getElementById('flow');
  if (!result) return container.replaceChildren();
  if (result.error) return message(container, result.error);
  const table = el('table', { 'data-testid': 'flow-table' });
  table.append(el('thead', {}, el('tr', {}, ...['event', 'ministry', 'occurredAt', 'receivedAt', 'latency', 'trace'].map((k) => el('th', { scope: 'col' }, t(k))))));
  const body = el('tbody');
  for (const hop of result.data.hops) {
    const link = hop.traceUrl ? el('a', { href: hop.traceUrl, target: '_blank', rel: 'noopener' }, `${t('openTrace')} ${hop.traceId.slice(0, 8)}…`) : '—';
    body.append(el('tr', {}, el('td', {}, hop.eventType), el('td', {}, hop.ministry), el('td', {}, hop.occurredAt), el('td', {}, hop.receivedByViewAt), el('td', {}, hop.latencySincePreviousMs === null ? '—' : `${number(Math.round(hop.latencySincePreviousMs / 1000))} s`), el('td', {}, link)));
  }
  table.append(body);
  container.replaceChildren(table);
}

function render(data) {
  renderReferrals(data.referrals);
  renderGaps(data.gaps);
  renderInitiatives(data.initiatives);
  renderFlow(data.flow);
}

async function load() {
  const status = document.getElementById('status');
  if (!token()) {
    status.textContent = t('noToken');
    return;
  }
  sessionStorage.setItem('passerelle-token', token());
  status.textContent = t('loading');
  const [referrals, gaps, initiatives] = await Promise.all([api('/v1/stats/referrals?groupBy=region,status'), api('/v1/service-gaps/summary'), api('/v1/initiatives')]);
  lastData = { referrals, gaps, initiatives, flow: lastData?.flow ?? null };
  render(lastData);
  status.textContent = referrals.error === t('unauthorized') ? t('unauthorized') : t('loaded');
  document.body.setAttribute('data-loaded', 'true');
}

async function loadFlow() {
  const id = document.getElementById('flow-id').value.trim();
  if (!id) return;
  const flow = await api(`/v1/referrals/${encodeURIComponent(id)}/flow`);
  lastData = { ...(lastData || { referrals: { error: 'none' }, gaps: { error: 'none' }, initiatives: { error: 'none' } }), flow };
  renderFlow(flow);
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('token').value = sessionStorage.getItem('passerelle-token') || '';
  document.getElementById('lang-toggle').addEventListener('click', () => {
    lang = lang === 'fr' ? 'en' : 'fr';
    applyLanguage();
  });
  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  document.getElementById('flow-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadFlow();
  });
  applyLanguage();
  if (token()) void load();
});
