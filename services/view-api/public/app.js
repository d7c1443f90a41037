/* global atob, document, history, window */
// The dashboard: plain ES modules, no build step. People sign in with the identity provider (oidc.js);
// the view API is called with their access token, held in memory only.
import * as oidc from './oidc.js';
import { downloadCsv, toCsv } from './csv.js';
import { el } from './dom.js';
import * as figures from './figures.js';
import { dayCount, hasLanguage, label, language, ministryName, number, roleName, setLanguage, setMinistryNames, t } from './i18n.js';
import { parsePeriod, periodAt, periodLabel, periodOptions, readChoice, statsQuery, writeChoice } from './periods.js';

let lastData = null;
/** The office's choice of period, measure, trend and drill-downs: kept in the address's hash, so that a link reproduces it. */
let choice = readChoice(document.location.hash);
/** The regions a referral can be in, in the order the page lists them. */
const REGIONS = ['TORONTO', 'CENTRAL', 'EAST', 'WEST', 'NORTH_EAST', 'NORTH_WEST', 'PROVINCE_WIDE'];
/** The status line as a string key, so that it follows a change of language. */
let statusKey = '';

function setStatus(key) {
  statusKey = key;
  document.getElementById('status').textContent = key ? t(key) : '';
}

function applyLanguage() {
  document.documentElement.lang = language();
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.getAttribute('data-i18n'));
  const toggle = document.getElementById('lang-toggle');
  toggle.textContent = t('switchTo');
  toggle.setAttribute('lang', language() === 'fr' ? 'en' : 'fr');
  renderSession();
  setStatus(statusKey);
  syncControls();
  if (lastData) render(lastData);
}

const option = (value, text, selected) => {
  const node = document.createElement('option');
  node.value = value;
  node.textContent = text;
  node.selected = selected;
  return node;
};

/** The controls show the choice, their options in the page's language. */
function syncControls() {
  const kind = choice.period ? parsePeriod(choice.period).kind : 'all';
  document.getElementById('period-kind').value = kind;
  fillPeriodValues(kind, choice.period);
  document.getElementById('measure').value = choice.measure;
  document.getElementById('trend-by').value = choice.trend;
  document
    .getElementById('region-choice')
    .replaceChildren(
      option('', t('chooseRegion'), choice.region === null),
      ...REGIONS.map((region) => option(region, label(region), region === choice.region)),
    );
  const pillars = lastData?.initiatives?.data?.pillars ?? [];
  document
    .getElementById('pillar-choice')
    .replaceChildren(
      option('', t('allPillars'), choice.pillar === null),
      ...pillars.map((p) => option(p.pillarId, p.title[language()], p.pillarId === choice.pillar)),
    );
}

/** The periods of a kind, the chosen one selected (else the current one); none for all time. */
function fillPeriodValues(kind, selected) {
  const select = document.getElementById('period-value');
  const names = periodOptions(kind);
  const current = names.includes(selected) ? selected : kind === 'all' ? null : periodAt(kind, Date.now());
  select.replaceChildren(...names.map((name) => option(name, periodLabel(name, language()), name === current)));
  // All time has no value to choose: the field leaves the form rather than stand there empty.
  select.disabled = kind === 'all';
  select.parentElement.hidden = kind === 'all';
}

/** Keeps a new choice in the address (a link reproduces it) and shows what it asks for. */
function choose(next) {
  choice = { ...choice, ...next };
  const hash = writeChoice(choice);
  history.pushState(null, '', hash || `${document.location.pathname}${document.location.search}`);
  syncControls();
}

/** The signed-in person's access token, else (development only) the pasted one. */
function token() {
  return oidc.accessToken() || document.getElementById('token').value.trim();
}

const VIEW_ROLES = ['coordination-office', 'ministry', 'operator', 'indigenous-partner'];

/** The caller's view role and ministry, as the token says (display only: the view API decides what it answers). */
function caller() {
  const person = oidc.person();
  if (person) return { role: VIEW_ROLES.find((r) => person.roles.includes(r)) ?? null, ministry: person.ministry };
  try {
    const claims = JSON.parse(atob(token().split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return { role: VIEW_ROLES.includes(claims.role) ? claims.role : null, ministry: claims.ministry ?? null };
  } catch {
    return { role: null, ministry: null };
  }
}

/** Each role's page: the sections whose data-roles name it (the flow, for every role, names none). */
function showSectionsFor(role) {
  for (const section of document.querySelectorAll('section[data-roles]')) {
    section.hidden = !section.getAttribute('data-roles').split(' ').includes(role);
  }
}

function renderSession() {
  const who = document.getElementById('who');
  const person = oidc.person();
  document.getElementById('sign-in').hidden = !signInAvailable || person !== null;
  document.getElementById('sign-out').hidden = person === null;
  who.hidden = person === null;
  if (!person) return who.replaceChildren();
  const role = VIEW_ROLES.filter((r) => person.roles.includes(r)).map(roleName);
  const described = role.length > 0 ? `${role.join(', ')}${person.ministry ? ` — ${person.ministry}` : ''}` : t('noRole');
  who.textContent = t('signedInAs', person.name, described);
}

async function api(path, retried = false) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${token()}`, accept: 'application/json' } });
  // An access token that lapsed (a sleeping laptop missed its renewal): renew once and ask again.
  if (response.status === 401 && !retried && oidc.accessToken() && (await oidc.renew())) return api(path, true);
  if (response.status === 401) return { error: 'unauthorized' };
  if (response.status === 403) return { error: 'denied' };
  // A referral that does not exist and one the role may not see get the same answer.
  if (response.status === 404) return { error: 'notFound' };
  if (!response.ok) return { error: 'failed' };
  return { data: await response.json() };
}

function message(container, key) {
  container.replaceChildren(el('p', { class: key === 'none' ? 'help' : 'error' }, t(key)));
}

/** Shows a part: its error, "nothing to show", or what `build` makes of the data. */
function show(id, result, build) {
  const container = document.getElementById(id);
  if (!result) return container.replaceChildren();
  if (result.error) return message(container, result.error);
  const node = build(result.data);
  if (!node) return message(container, 'none');
  container.replaceChildren(node);
}

function renderMedian(result) {
  const median = document.getElementById('median');
  const value = result.data?.medianDaysToAcceptance ?? null;
  median.textContent = result.error ? '—' : value === null ? t('notShown') : t('days', number(value));
  median.setAttribute('data-value', value === null ? '' : String(value));
}

function render(data) {
  const { role, ministry } = data.caller;
  showSectionsFor(role);
  document.getElementById('referrals-heading').textContent = t(role === 'ministry' ? 'provinceHeading' : 'referralsHeading');
  const listName =
    role === 'ministry'
      ? t('ministryListHeading', ministryName(ministry))
      : role === 'indigenous-partner'
        ? t('ownListHeading')
        : t('listHeading');
  document.getElementById('list-heading').textContent = listName;
  const items = (d) => (d.items.length === 0 ? null : d.items);
  show(
    'referral-list',
    data.list,
    (d) => items(d) && figures.referralList(d.items, { ministry: role === 'ministry' ? ministry : undefined, name: listName }),
  );
  show('own-counts', data.list, (d) => items(d) && figures.countsByStatus(d.items));
  show('dead-letters', data.deadLetters, (d) => items(d) && figures.deadLetters(d.items));
  show('gaps', data.gaps, (d) => (d.regions.length === 0 ? null : figures.serviceGaps(d.regions)));
  show('initiatives', data.initiatives, (d) => (d.pillars.length === 0 ? null : figures.initiatives(d.pillars)));
  renderStats(data);
  renderGaps(data);
  renderInitiativeList(data);
  renderPipeline(data);
  show('flow', data.flow, (d) => figures.flow(d.hops));
}

/** The period's tables: by region and status, the trend, the chosen region. */
function renderStats(data) {
  show('referrals', data.referrals, figures.referralStats);
  document.getElementById('disclosure-note').textContent = data.referrals.data?.disclosureControl.explanation[language()] ?? '';
  renderMedian(data.referrals);
  show('trend', data.trend, (d) => figures.trend(d, d.groupBy[0]));
  show('region-stats', data.region, (d) => figures.regionStats(d, choice.region));
}

function renderGaps(data) {
  show('gaps-category', data.gaps, (d) => figures.gapsByCategory(d.regions));
  show('gaps-age', data.gaps, (d) => figures.gapsByAge(d.openByAge));
  show('gaps-resolved', data.gaps, (d) => figures.gapsResolvedByMonth(d.resolvedByMonth));
  show('gap-list', data.gapList, (d) => figures.gapList(d.items));
  const median = data.gaps?.data?.medianDaysToResolve ?? null;
  document.getElementById('median-resolve').textContent = median === null ? '—' : dayCount(median);
}

function renderInitiativeList(data) {
  const pillar = data.initiatives?.data?.pillars.find((p) => p.pillarId === choice.pillar);
  show('initiative-list', data.initiatives, (d) =>
    figures.initiativeList(
      d.items.filter((item) => !pillar || item.pillarId === pillar.pillarId),
      pillar ? pillar.title[language()] : t('allPillars'),
    ),
  );
}

function renderPipeline(data) {
  show('pipeline-latency', data.pipeline, figures.pipelineLatency);
  show('pipeline-services', data.pipeline, (d) => figures.pipelineServices(d.services));
  show('consumer-lag', data.pipeline, (d) => figures.consumerLag(d.services));
  document.getElementById('dead-letter-count').textContent = data.pipeline?.data ? number(data.pipeline.data.deadLetters) : '—';
}

async function load() {
  if (!token()) return setStatus(signInAvailable ? 'signedOut' : 'noToken');
  setStatus('loading');
  const who = caller();
  // Only what the role may read: no "not available" blocks.
  const when = (roles, path, get = api) => (roles.includes(who.role) ? get(path) : Promise.resolve(null));
  const people = ['coordination-office', 'ministry', 'indigenous-partner'];
  const [stats, list, gaps, gapList, initiatives, deadLetters, pipeline] = await Promise.all([
    statsFor(who),
    when(people, '/v1/referrals?limit=200', allPages),
    when(people, '/v1/service-gaps/summary'),
    when(people, '/v1/service-gaps?status=OPEN&limit=200', allPages),
    when(people, '/v1/initiatives'),
    when(['operator'], '/v1/dead-letters?limit=200', allPages),
    when(['operator'], '/v1/pipeline'),
  ]);
  lastData = { caller: who, ...stats, list, gaps, gapList, initiatives, deadLetters, pipeline, flow: lastData?.flow ?? null };
  syncControls();
  render(lastData);
  const refused = [stats.referrals, list, deadLetters, pipeline].some((r) => r?.error === 'unauthorized');
  setStatus(refused ? 'unauthorized' : 'loaded');
  document.body.setAttribute('data-loaded', 'true');
}

/** The period's statistics the role may read: by region and status, the trend, the chosen region. */
async function statsFor(who) {
  if (!['coordination-office', 'ministry'].includes(who.role)) return { referrals: { error: 'none' }, trend: null, region: null };
  const [referrals, trend, region] = await Promise.all([
    api(statsQuery(choice, 'region,status')),
    api(statsQuery(choice, choice.trend)),
    choice.region ? api(statsQuery(choice, 'category,status', { region: choice.region })) : Promise.resolve(null),
  ]);
  return { referrals, trend, region };
}

/** After a new choice: the period's tables again, the rest as it was. */
async function reloadStats() {
  if (!lastData) return;
  setStatus('loading');
  lastData = { ...lastData, ...(await statsFor(lastData.caller)) };
  renderStats(lastData);
  setStatus(lastData.referrals.error === 'unauthorized' ? 'unauthorized' : 'loaded');
}

/** Every page of a list (a role's own referrals, the dead letters), up to 20 pages. */
async function allPages(path) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < 20; page++) {
    const result = await api(cursor ? `${path}&cursor=${encodeURIComponent(cursor)}` : path);
    if (result.error) return result;
    items.push(...result.data.items);
    cursor = result.data.nextCursor;
    if (!cursor) break;
  }
  return { data: { items } };
}

async function loadFlow() {
  const input = document.getElementById('flow-id');
  const id = input.value.trim();
  if (!id || !input.checkValidity()) return;
  const flow = await api(`/v1/referrals/${encodeURIComponent(id)}/flow`);
  lastData = { ...(lastData || { caller: caller(), referrals: { error: 'none' } }), flow };
  show('flow', flow, (d) => figures.flow(d.hops));
}

let signInAvailable = false;
let wasSignedIn = false;

/** Called by oidc.js whenever the session changes: signed in, renewed, ended. */
function sessionChanged() {
  const signedIn = oidc.person() !== null;
  if (wasSignedIn && !signedIn) {
    lastData = null;
    for (const id of [
      'referrals',
      'trend',
      'region-stats',
      'referral-list',
      'own-counts',
      'gaps',
      'gaps-category',
      'gaps-age',
      'gaps-resolved',
      'gap-list',
      'initiatives',
      'initiative-list',
      'dead-letters',
      'pipeline-latency',
      'pipeline-services',
      'consumer-lag',
      'flow',
    ])
      document.getElementById(id).replaceChildren();
    setStatus('sessionEnded');
  }
  wasSignedIn = signedIn;
  renderSession();
}

/** What the view API says about signing in (the provider, whether development tokens are accepted) and the parties' names. */
async function startSession() {
  const config = await (await fetch('/config.json')).json();
  setMinistryNames(config.ministries);
  document.getElementById('dev-token').hidden = !config.developmentTokens;
  if (!config.oidc) return;
  signInAvailable = true;
  renderSession();
  try {
    const pending = await oidc.start(config.oidc, sessionChanged);
    if (hasLanguage(pending?.lang)) {
      setLanguage(pending.lang);
      applyLanguage();
    }
  } catch (error) {
    return setStatus(/reached/.test(error.message) ? 'providerUnavailable' : 'signInFailed');
  }
  // The choice the page was opened with, back from the provider's sign-in page.
  choice = readChoice(document.location.hash);
  if (oidc.person()) await load();
  else setStatus('signedOut');
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('lang-toggle').addEventListener('click', () => {
    setLanguage(language() === 'fr' ? 'en' : 'fr');
    applyLanguage();
  });
  document.getElementById('sign-in').addEventListener('click', () => void oidc.signIn(language()));
  document.getElementById('sign-out').addEventListener('click', () => oidc.signOut(language()));
  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });
  // Every table's download button: the figures as shown, in the page's language.
  document.getElementById('main').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-export]');
    const block = button?.closest('.table-block')?.figures;
    if (block) downloadCsv(`passerelle-${block.id}-${language()}.csv`, toCsv(block, block.methodology));
  });
  document.getElementById('flow-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadFlow();
  });
  document.getElementById('period-kind').addEventListener('change', (event) => fillPeriodValues(event.target.value, choice.period));
  document.getElementById('period-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const kind = document.getElementById('period-kind').value;
    choose({
      period: kind === 'all' ? null : document.getElementById('period-value').value || null,
      measure: document.getElementById('measure').value,
      trend: document.getElementById('trend-by').value,
    });
    void reloadStats();
  });
  document.getElementById('region-form').addEventListener('submit', (event) => {
    event.preventDefault();
    choose({ region: document.getElementById('region-choice').value || null });
    void reloadStats();
  });
  document.getElementById('pillar-form').addEventListener('submit', (event) => {
    event.preventDefault();
    choose({ pillar: document.getElementById('pillar-choice').value || null });
    if (lastData) renderInitiativeList(lastData);
  });
  // A link followed, or Back: the choice the address names.
  window.addEventListener('hashchange', () => {
    choice = readChoice(document.location.hash);
    syncControls();
    if (lastData) renderInitiativeList(lastData);
    void reloadStats();
  });
  applyLanguage();
  void startSession();
});
