import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type Download, type Locator, type Page } from 'playwright-core';
import { requireChromium } from '@passerelle/infra';
import { realmAdmin, requireIdentity, userToken } from '@passerelle/testing';
import { VIEW_TABLE } from '@passerelle/coordination-view';
import { recordKeyOf } from '@passerelle/projector';
import {
  CELL_KEY_MODULUS,
  DEFAULT_AUDIENCE,
  DEFAULT_DISCLOSURE,
  DEFAULT_INITIATIVE_STALE_DAYS,
  DEFAULT_MAX_TOKEN_AGE_SECONDS,
  publishCount,
} from '@passerelle/view-api';
import { RECORD_KEY_SECRET, startViewApi, VIEW_SCHEMA, type ViewApiHarness } from './harness.ts';
import { expectedFigures, figuresOfBody, viewRows } from './published-figures.ts';
import { SEED } from './view-seed.ts';

const stack = inject('stack');
/** Screenshots go with the test output (scripts/test.ts writes the reports beside them). */
const SCREENSHOTS = resolve(import.meta.dirname, '../../.passerelle/test-results/screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let h: ViewApiHarness;
let browser: Browser;

type Rows = Awaited<ReturnType<typeof viewRows>>;

interface Stats {
  total: number | null;
  totalSuppressed?: boolean;
  threshold: number;
  medianDaysToAcceptance: number | null;
  cells: Array<{ key: Record<string, string>; count: number | null; suppressed: boolean }>;
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  h = await startViewApi(stack.databaseUrl, 'view_api_dashboard');
  browser = await chromium.launch({
    executablePath: requireChromium().executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await h?.close();
});

async function openDashboard(page: Page, token: string, query = '', on: ViewApiHarness = h): Promise<void> {
  await page.goto(`${on.api.url}/${query}`);
  await page.getByLabel(/Bearer token|Jeton/).fill(token);
  await page.keyboard.press('Tab');
  await page.locator('#token-form button[type=submit]').press('Enter');
  await page.waitForSelector('body[data-loaded=true]');
}

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * axe-core run in the page as it is (injected through the DevTools protocol, which the page's CSP does not
 * govern): no violation of serious or critical impact. Also saves a screenshot named `name`.
 */
async function expectAccessible(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: resolve(SCREENSHOTS, `view-api-dashboard-${name}.png`), fullPage: true });
  if (!(await page.evaluate<boolean>("typeof axe === 'object'"))) await page.evaluate(AXE);
  const violations = await page.evaluate<Violation[]>(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))",
  );
  expect(
    violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    `${name}: serious or critical accessibility violations`,
  ).toEqual([]);
}

/** RFC 4180 fields: quoted ones may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (quoted || c !== '\r') {
      field += c;
    }
  }
  return rows;
}

/** Clicks a table's download button and reads the CSV it gives: UTF-8 with a byte-order mark. */
async function downloadedCsv(page: Page, table: string): Promise<string[][]> {
  const button = page.locator(`button[data-export=${table}]`);
  // Headless Chromium can drop the download of a button just below the viewport's edge: in view first, as a person would.
  await button.scrollIntoViewIfNeeded();
  // On a loaded machine headless Chromium now and then loses a click's download altogether (one table in
  // some hundreds, never the same one): a person would click again, and so does the test, twice at most.
  let download: Download | undefined;
  for (let attempt = 1; download === undefined; attempt += 1) {
    // This table's file only: a late download of an earlier click is not taken for it.
    const waited = page.waitForEvent('download', {
      timeout: 20_000,
      predicate: (d) => d.suggestedFilename() === `passerelle-${table}-en.csv` || d.suggestedFilename() === `passerelle-${table}-fr.csv`,
    });
    await button.click();
    download = await waited.catch((error: unknown) => {
      if (attempt >= 3) throw error;
      return undefined;
    });
  }
  const text = readFileSync(await download.path(), 'utf8');
  expect(text.startsWith('\ufeff')).toBe(true);
  return parseCsv(text.slice(1));
}

/** What the method publishes for a set of referrals (its true count and cell key), and the truth beside it. */
const publishedOf = (set: Rows) => ({
  truth: set.length,
  ...publishCount(
    { count: set.length, cellKey: Number(set.reduce((sum, r) => sum + r.recordKey, 0n) % BigInt(CELL_KEY_MODULUS)) },
    DEFAULT_DISCLOSURE,
  ),
});
const within = (at: number | null, from: string, to: string) => at !== null && at >= Date.parse(from) && at < Date.parse(to);

/** A published figure as the page and its CSV write it: the count, x when hidden, 0 when the API lists none. */
const figureText = (cell: { count: number | null; suppressed: boolean } | undefined) =>
  cell === undefined ? '0' : cell.suppressed ? 'x' : String(cell.count);

/** A period of the referral table: its [from, to) and how the methodology line names it. */
interface TablePeriod {
  from?: string;
  to?: string;
  named: { en: string; fr: string };
}
const ALL_TIME: TablePeriod = { named: { en: 'all referrals to date', fr: 'tous les aiguillages à ce jour' } };

/**
 * The referral table's CSV: headers in the page's language, the figures the published method gives for
 * the seeded rows (computed here, not taken from the API), each region's total in the last column, each
 * status's and the overall total in the last row (the margins, each a count of its own), then the
 * methodology lines.
 */
async function expectReferralCsv(page: Page, rows: Rows, lang: 'en' | 'fr', period: TablePeriod = ALL_TIME): Promise<void> {
  const bounds = { from: period.from, to: period.to };
  const expected = expectedFigures(rows, { groupBy: ['region', 'status'], ...bounds });
  const byRegion = expectedFigures(rows, { groupBy: ['region'], ...bounds }).cells;
  const byStatus = expectedFigures(rows, { groupBy: ['status'], ...bounds }).cells;
  const csv = await downloadedCsv(page, 'referral-table');
  expect(csv[0]?.[0]).toBe(lang === 'fr' ? 'Région' : 'Region');
  expect(csv[0]?.at(-1)).toBe('Total');
  const keys = await page
    .locator('[data-testid=referral-table] tbody tr')
    .evaluateAll((trs) => trs.map((r) => [...r.querySelectorAll('td[data-cell]')].map((td) => td.getAttribute('data-cell') ?? '')));
  const regions = keys.map((row) => row[0]?.split('/')[0] ?? '');
  const statuses = (keys[0] ?? []).map((key) => key.split('/')[1] ?? '');
  const figure = (key: string) => {
    const [region, status] = key.split('/');
    return figureText(expected.cells.find((c) => c.key['region'] === region && c.key['status'] === status));
  };
  expect(csv.slice(1, 1 + keys.length).map((row) => row.slice(1))).toEqual(
    keys.map((row, i) => [...row.map(figure), figureText(byRegion.find((c) => c.key['region'] === regions[i]))]),
  );
  expect(csv[1 + keys.length]).toEqual([
    'Total',
    ...statuses.map((status) => figureText(byStatus.find((c) => c.key['status'] === status))),
    expected.totalSuppressed ? 'x' : String(expected.total),
  ]);
  const method = csv[2 + keys.length]?.[0] ?? '';
  expect(method).toMatch(lang === 'fr' ? /d’au plus 6 .* de 1 à 5 masqués / : /at most 6 .* from 1 to 5 hidden /);
  expect(method).toContain(period.named[lang]);
  expect(csv[3 + keys.length]?.[0]).toMatch(lang === 'fr' ? /^Décompte\u202f: aiguillages faits/ : /^Counted: referrals made/);
}

/** Print preview: the figures, and no token, sign-in or control of any kind. */
async function expectPrintable(page: Page, token: string): Promise<void> {
  await page.emulateMedia({ media: 'print' });
  expect(await page.locator('button:visible, input:visible, textarea:visible, select:visible, form:visible').count()).toBe(0);
  expect(
    await page.locator('#dev-token, #sign-in, #sign-out, #token').evaluateAll((nodes) => nodes.map((n) => n.checkVisibility())),
  ).not.toContain(true);
  expect(await page.locator('body').innerText()).not.toContain(token.slice(-20));
  expect(await page.getByTestId('referral-table').isVisible()).toBe(true);
  await page.emulateMedia({ media: 'screen' });
}

/** A hidden count shows `x` and is read aloud as one word ("hidden", "masqué"), the note above the table saying why. */
async function expectHidden(td: Locator): Promise<void> {
  expect(await td.getAttribute('data-suppressed')).toBe('true');
  expect(await td.locator('[aria-hidden=true]').innerText()).toBe('x');
  expect(await td.locator('.visually-hidden').textContent()).toMatch(/^(hidden|masqué)$/);
  expect(await td.getAttribute('title')).toBeNull();
}

async function expectFiguresMatchApi(page: Page, stats: Stats): Promise<void> {
  for (const cell of stats.cells) {
    const td = page.locator(`td[data-cell="${cell.key['region']}/${cell.key['status']}"]`);
    if (cell.suppressed) await expectHidden(td);
    else expect(await td.innerText()).toBe(String(cell.count));
  }
  if (stats.totalSuppressed) await expectHidden(page.getByTestId('referral-total'));
  else expect(await page.getByTestId('referral-total').innerText()).toBe(String(stats.total));
  expect(await page.getByTestId('median').getAttribute('data-value')).toBe(String(stats.medianDaysToAcceptance));
}

describe('the dashboard in headless Chromium', () => {
  it('shows the API’s perturbed figures and how they are protected in English and French, suppressed cells as such, and saves screenshots', async () => {
    const token = await h.token('coordination-office');
    const stats = (await (await h.get('/v1/stats/referrals?groupBy=region,status', token)).json()) as Stats;
    const gaps = (await (await h.get('/v1/service-gaps/summary', token)).json()) as { regions: Array<{ region: string; open: number }> };
    expect(stats.cells.some((c) => c.suppressed)).toBe(true);
    // The figures are the method's, and some are not the true counts: the page shows perturbed figures.
    const rows = await viewRows(h.db, VIEW_SCHEMA);
    expect(figuresOfBody(stats as never)).toEqual(expectedFigures(rows, { groupBy: ['region', 'status'] }));
    const truth = (region: string, status: string) => rows.filter((r) => r.region === region && r.status === status).length;
    expect(
      stats.cells.some((c) => c.count !== null && c.count !== truth(c.key['region'] ?? '', c.key['status'] ?? '')) ||
        stats.total !== rows.length,
    ).toBe(true);

    const context = await browser.newContext({ locale: 'fr-CA', viewport: { width: 1280, height: 1600 } });
    const page = await context.newPage();
    await openDashboard(page, token);
    // navigator.language is fr-CA: French by default.
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect(await page.locator('#referrals-heading').innerText()).toBe('Aiguillages par statut et par région');
    await expectFiguresMatchApi(page, stats);
    expect(await page.getByTestId('disclosure-note').innerText()).toMatch(
      /légèrement modifié au hasard, d’au plus 6 .* de 1 à 5 sont masqués/,
    );
    await expectReferralCsv(page, rows, 'fr');
    await expectPrintable(page, token);
    const dictionary = (await (await h.get('/data-dictionary.json')).json()) as { tables: Array<{ id: string }> };
    for (const table of await page.locator('button[data-export]').evaluateAll((b) => b.map((n) => n.getAttribute('data-export'))))
      expect(dictionary.tables.map((t) => t.id)).toContain(table);
    for (const region of gaps.regions) expect(await page.getByTestId(`gaps-open-${region.region}`).innerText()).toBe(String(region.open));
    expect(await page.locator('[data-testid=initiative-table] tbody tr').count()).toBeGreaterThan(0);
    await expectAccessible(page, 'fr');

    // Keyboard only: focus the switch and press Enter.
    await page.getByTestId('lang-toggle').focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('#referrals-heading').innerText()).toBe('Referrals by status and region');
    await expectFiguresMatchApi(page, stats);
    expect(await page.getByTestId('disclosure-note').innerText()).toMatch(/small random adjustment of at most 6 .* from 1 to 5 are hidden/);
    await expectReferralCsv(page, rows, 'en');
    await expectAccessible(page, 'en');
    await context.close();
  });

  it('shows an operator the flow of a referral with links to the trace UI, and no referral figures', async () => {
    const token = await h.token('operator');
    const flow = (await (await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}/flow`, token)).json()) as {
      hops: Array<{ traceUrl: string }>;
    };
    const context = await browser.newContext({ locale: 'en-CA' });
    const page = await context.newPage();
    await openDashboard(page, token, '?lang=en');
    // The operator's page: the pipeline, not the figures it may not read.
    expect(await page.getByTestId('referrals').isHidden()).toBe(true);
    expect(await page.getByTestId('dead-letters').isVisible()).toBe(true);
    await page.getByLabel('Referral id').fill(SEED.justiceToChildWelfare);
    await page.getByLabel('Referral id').press('Enter');
    await page.waitForSelector('[data-testid=flow-table]');
    const hrefs = await page.locator('[data-testid=flow-table] a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(hrefs).toEqual(flow.hops.map((hop) => hop.traceUrl));
    await expectAccessible(page, 'operator');
    await context.close();
  });

  it('speaks the page’s language in its status line, flow table, dates and names, takes a valid referral id pattern, shows severities as text and keeps a phone’s page from scrolling sideways', async () => {
    const token = await h.token('coordination-office');
    const context = await browser.newContext({ locale: 'en-CA', viewport: { width: 360, height: 780 } });
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await openDashboard(page, token, '?lang=en');
    expect(await page.getByTestId('status').innerText()).toBe('Figures loaded.');
    // Browsers compile a pattern attribute with the v flag: it must be valid there, and refuse what is not an id.
    expect(await page.evaluate<boolean>("new RegExp(document.getElementById('flow-id').pattern, 'v').test('x')")).toBe(false);
    await page.getByLabel('Referral id').fill('not-a-referral-id');
    expect(await page.evaluate<boolean>("document.getElementById('flow-id').validity.patternMismatch")).toBe(true);
    await page.getByLabel('Referral id').fill(SEED.justiceToChildWelfare);
    await page.getByLabel('Referral id').press('Enter');
    const created = page.locator('[data-testid=flow-table] tbody tr').first();
    await created.waitFor();
    const [occurredAt] = await created.locator('td[data-at]').evaluateAll((cells) => cells.map((c) => c.getAttribute('data-at')));
    const month = (locale: string) =>
      new Intl.DateTimeFormat(locale, { month: 'short', timeZone: 'America/Toronto' }).format(new Date(occurredAt ?? ''));
    const rowText = async () => (await created.locator('td').allInnerTexts()).slice(0, 3);
    expect(await rowText()).toEqual(['Referral created', 'Justice sector', expect.stringContaining(month('en-CA'))]);
    expect((await rowText())[2]).not.toMatch(/T\d\d:/);
    // Severities are text in the table, not a tooltip.
    expect(await page.locator('[data-region=EAST] td[data-severity=CRITICAL]').innerText()).toBe('1');
    // Wide tables scroll inside a labelled region; the page itself never scrolls sideways.
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    for (const region of await page.locator('.table-scroll').all()) {
      expect(await region.getAttribute('role')).toBe('region');
      expect(await region.getAttribute('aria-label')).toMatch(/scrollable table/);
    }
    // The header's focus ring is white on its blue.
    await page.getByTestId('lang-toggle').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>("getComputedStyle(document.getElementById('lang-toggle')).outlineColor")).toBe('rgb(255, 255, 255)');

    await page.keyboard.press('Enter');
    expect(await page.getByTestId('status').innerText()).toBe('Données chargées.');
    expect(await rowText()).toEqual(['Aiguillage créé', 'Secteur de la justice', expect.stringContaining(month('fr-CA'))]);
    expect(await page.locator('[data-i18n=median]').innerText()).toBe('Délai médian entre l’aiguillage et l’acceptation\u202f:');
    expect(await page.locator('#gaps-heading').innerText()).toBe('Lacunes de service non résolues, par région');
    expect(await page.locator('[data-testid=gaps-table] thead').innerText()).toContain('gravité\u202f: Critique');
    await expectAccessible(page, 'phone-fr');
    await context.close();
  });

  it('opens a link asking for a language it does not have in the browser’s language, and still loads', async () => {
    const context = await browser.newContext({ locale: 'fr-CA' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await openDashboard(page, await h.token('coordination-office'), '?lang=de');
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('signing in to the dashboard with the identity provider, in headless Chromium', () => {
  const identity = requireIdentity(stack.identity);
  // A client of this run's own, a copy of the dashboard's (settings, mappers, realm roles) with this server's port in its exact URIs.
  const clientId = `passerelle-dashboard-e2e-${randomBytes(4).toString('hex')}`;
  let signed: ViewApiHarness;
  let admin: Awaited<ReturnType<typeof realmAdmin>>;

  beforeAll(async () => {
    signed = await startViewApi(stack.databaseUrl, 'view_api_dashboard_oidc', {
      environment: 'production',
      oidc: {
        issuer: identity.issuer,
        jwksUrl: `${identity.issuer}/protocol/openid-connect/certs`,
        audience: DEFAULT_AUDIENCE,
        clockToleranceSeconds: 30,
        maxTokenAgeSeconds: DEFAULT_MAX_TOKEN_AGE_SECONDS,
        dashboardClientId: clientId,
      },
    });
    admin = await realmAdmin(identity);
    const [dashboard] = (await (await admin('GET', '/clients?clientId=passerelle-dashboard')).json()) as Array<Record<string, unknown>>;
    const {
      id: _id,
      protocolMappers,
      attributes,
      ...settings
    } = dashboard as {
      id: string;
      protocolMappers: Array<Record<string, unknown>>;
      attributes: Record<string, string>;
    };
    const origin = new URL(signed.api.url).origin;
    const created = await admin('POST', '/clients', {
      ...settings,
      clientId,
      redirectUris: [`${origin}/`],
      webOrigins: [origin],
      attributes: { ...attributes, 'post.logout.redirect.uris': `${origin}/?lang=en##${origin}/?lang=fr` },
      protocolMappers: protocolMappers.map(({ id: _mapper, ...mapper }) => mapper),
    });
    expect(created.status).toBe(201);
    expect(settings).toMatchObject({ fullScopeAllowed: false });
    const [copy] = (await (await admin('GET', `/clients?clientId=${clientId}`)).json()) as Array<{ id: string }>;
    const roles = await (await admin('GET', `/clients/${(dashboard as { id: string }).id}/scope-mappings/realm`)).json();
    expect((await admin('POST', `/clients/${copy?.id}/scope-mappings/realm`, roles)).status).toBe(204);
  });
  afterAll(async () => {
    const [client] = (await (await admin('GET', `/clients?clientId=${clientId}`)).json()) as Array<{ id: string }>;
    if (client) await admin('DELETE', `/clients/${client.id}`);
    await signed?.close();
  });

  async function signIn(page: Page, username: string, hash = ''): Promise<void> {
    // The provider's login and the code exchange take longer than playwright's 30 s on a loaded machine.
    page.setDefaultTimeout(60_000);
    await page.goto(`${signed.api.url}/?lang=en${hash}`);
    await page.getByTestId('sign-in').click();
    // The provider's own login page, not the dashboard's.
    await page.waitForURL((url) => url.href.startsWith(`${identity.issuer}/protocol/openid-connect/auth`));
    await page.locator('#username').fill(username);
    await page.locator('#password').fill(identity.credentials.users[username] ?? '');
    await page.locator('#kc-login').click();
    await page.waitForSelector('body[data-loaded=true]');
    expect(new URL(page.url()).search).toBe('?lang=en');
  }

  it('brings the analyst back from the provider’s login page to the period and measure the link named', async () => {
    const context = await browser.newContext({ locale: 'en-CA', viewport: { width: 1280, height: 1600 } });
    const page = await context.newPage();
    await signIn(page, 'analyst', '#period=2026-03&measure=accepted');
    expect(new URL(page.url()).hash).toBe('#period=2026-03&measure=accepted');
    expect(await page.locator('#period-kind').inputValue()).toBe('month');
    expect(await page.locator('#period-value').inputValue()).toBe('2026-03');
    expect(await page.locator('#measure').inputValue()).toBe('accepted');
    expect(await page.locator('[data-testid=referral-table] caption').innerText()).toMatch(/^Referrals accepted, March 2026: /);
    const accepted = (await viewRows(signed.db, VIEW_SCHEMA)).filter((r) =>
      within(r.acceptedAt, '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'),
    );
    const total = publishedOf(accepted);
    if (total.suppressed) await expectHidden(page.getByTestId('referral-total'));
    else expect(await page.getByTestId('referral-total').innerText()).toBe(String(total.value));
    await context.close();
  });

  const statsFor = async (username: string) =>
    (await (await signed.get('/v1/stats/referrals?groupBy=region,status', await userToken(identity, username))).json()) as Stats;

  it('signs the coordination office in through the provider’s login page, shows the figures in English and French, renews the token and signs out', async () => {
    const stats = await statsFor('analyst');
    const context = await browser.newContext({ locale: 'en-CA', viewport: { width: 1280, height: 1600 } });
    const page = await context.newPage();
    await signIn(page, 'analyst');
    expect(await page.getByTestId('who').innerText()).toBe('Signed in as analyst (coordination office)');
    expect(await page.locator('#dev-token').isHidden()).toBe(true);
    await expectFiguresMatchApi(page, stats);
    // The tokens stay in memory: nothing in the page's storage looks like one.
    const stored = await page.evaluate<string>('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })');
    expect(stored).not.toMatch(/eyJ/);
    // Renewal: the refresh token gets a new access token from the provider (the page schedules it a minute before expiry).
    const renewed = await page.evaluate<boolean>(
      "import('/oidc.js').then(async (oidc) => { const before = oidc.accessToken(); return (await oidc.renew()) && oidc.accessToken() !== before && oidc.accessToken() !== ''; })",
    );
    expect(renewed).toBe(true);
    // Two renewals at once (the timer and a refused API call) spend the single-use refresh token once and keep the person signed in.
    const together = await page.evaluate<boolean[]>("import('/oidc.js').then((oidc) => Promise.all([oidc.renew(), oidc.renew()]))");
    expect(together).toEqual([true, true]);
    expect(await page.getByTestId('who').innerText()).toBe('Signed in as analyst (coordination office)');

    await page.getByTestId('lang-toggle').click();
    expect(await page.locator('#referrals-heading').innerText()).toBe('Aiguillages par statut et par région');
    expect(await page.getByTestId('who').innerText()).toBe('Session ouverte\u202f: analyst (bureau de coordination)');
    expect(await page.getByTestId('sign-out').innerText()).toBe('Se déconnecter');
    await expectFiguresMatchApi(page, stats);
    await expectAccessible(page, 'signed-in-fr');

    await page.getByTestId('sign-out').click();
    await page.waitForURL((url) => url.origin === new URL(signed.api.url).origin && url.search === '?lang=fr');
    await page.getByTestId('sign-in').waitFor();
    expect(await page.getByTestId('sign-in').innerText()).toBe('Se connecter');
    expect(await page.getByTestId('who').isHidden()).toBe(true);
    // The sign-in button shows while the page still asks the provider about the session; the status line follows.
    await expect.poll(() => page.getByTestId('status').innerText()).toBe('Connectez-vous pour voir les données.');
    // The provider's session is over too: signing in again asks for the password.
    await page.getByTestId('sign-in').click();
    await page.waitForURL((url) => url.href.startsWith(`${identity.issuer}/protocol/openid-connect/auth`));
    expect(await page.locator('#password').isVisible()).toBe(true);
    await context.close();
  });

  /** The seeded referrals as stored, read straight from the view's table: what each role's page is checked against. */
  const seeded = async () =>
    (await signed.db
      .withSchema(VIEW_SCHEMA)
      .table('referrals')
      .select('referral_id', 'status', 'referring_ministry', 'receiving_ministry', 'consent_scope', 'requested_at')) as Array<{
      referral_id: string;
      status: string;
      referring_ministry: string;
      receiving_ministry: string | null;
      consent_scope: string;
      requested_at: Date;
    }>;
  const ageOf = (requestedAt: Date) => String(Math.floor((Date.now() - requestedAt.getTime()) / 86_400_000));
  const tableRows = (page: Page, testid: string) =>
    page
      .locator(`[data-testid=${testid}] tbody tr`)
      .evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => (c as { innerText: string }).innerText)));

  it('gives the operator a pipeline page in English and French: the dead letters with their reasons and the re-drive command', async () => {
    const letters = (await signed.db
      .withSchema(VIEW_SCHEMA)
      .table(VIEW_TABLE.dead_letters)
      .select('source_topic', 'source_partition', 'source_offset', 'reason_code')) as Array<{
      source_topic: string;
      source_partition: number;
      source_offset: string;
      reason_code: string;
    }>;
    const context = await browser.newContext({ locale: 'en-CA' });
    const page = await context.newPage();
    await signIn(page, 'operator');
    expect(await page.locator('section[aria-labelledby=referrals-heading]').isHidden()).toBe(true);
    expect(await page.getByText('Not available for your role.').count()).toBe(0);
    const shown = await tableRows(page, 'dead-letter-table');
    expect(shown.map((r) => r.slice(0, 2))).toEqual(
      letters.map((l) => [`${l.source_topic}:${l.source_partition}:${l.source_offset}`, l.reason_code]),
    );
    expect(await page.getByTestId('redrive-command').innerText()).toContain(
      'npm run projector -- dead-letters redrive <topic:partition:offset>',
    );
    await expectAccessible(page, 'operator-en');
    await page.getByTestId('lang-toggle').click();
    expect(await page.locator('#pipeline-heading').innerText()).toBe('Chaîne de traitement\u202f: lettres mortes');
    expect(await page.locator('[data-testid=dead-letter-table] thead').innerText()).toContain('Motif');
    await expectAccessible(page, 'operator-fr');
    await context.close();
  });

  it('gives the Indigenous partner the referrals under its consent and their counts by status, in English and French, and no province-wide table', async () => {
    const own = (await seeded()).filter((r) => r.consent_scope === 'INDIGENOUS_PARTNER_CONTROLLED');
    expect(own.length).toBeGreaterThan(0);
    const context = await browser.newContext({ locale: 'fr-CA' });
    const page = await context.newPage();
    await signIn(page, 'indigenous-partner');
    expect(await page.getByTestId('referrals').isHidden()).toBe(true);
    const list = await tableRows(page, 'referral-list-table');
    expect(list.map((r) => [r[0], r[4]]).sort()).toEqual(own.map((r) => [r.referral_id, ageOf(r.requested_at)]).sort());
    const byStatus = new Map<string, number>();
    for (const r of own) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    const counts = await page
      .locator('[data-testid=own-status-table] tbody tr')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-status'), r.querySelector('td')?.textContent]));
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries([...byStatus].map(([k, v]) => [k, String(v)])));
    expect(await page.getByTestId('own-total').innerText()).toBe(String(own.length));
    await expectAccessible(page, 'indigenous-partner-en');
    await page.getByTestId('lang-toggle').click();
    expect(await page.locator('#own-heading').innerText()).toBe('Aiguillages sous votre consentement, par statut');
    expect(await page.locator('[data-testid=own-status-table] tbody th').first().innerText()).toBe('Accepté');
    await expectAccessible(page, 'indigenous-partner-fr');
    await context.close();
  });

  it('shows a ministry user only the referrals that ministry made or received', async () => {
    const list = async (username: string) =>
      (
        (await (await signed.get('/v1/referrals?limit=50', await userToken(identity, username))).json()) as {
          items: Array<{ referralId: string }>;
        }
      ).items.map((r) => r.referralId);
    const justice = await list('ministry-justice');
    expect(justice).toEqual([SEED.justiceToChildWelfare]);
    expect((await list('analyst')).length).toBeGreaterThan(justice.length);
    const context = await browser.newContext({ locale: 'en-CA' });
    const page = await context.newPage();
    await signIn(page, 'ministry-justice');
    expect(await page.getByTestId('who').innerText()).toBe('Signed in as ministry-justice (ministry — JUSTICE)');
    const shown = await page
      .locator('[data-testid=referral-list-table] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-referral')));
    expect(shown).toEqual(justice);
    // Its own referrals, made or received, with their age computed here from the seeded rows; province-wide figures beside them.
    const ownRows = (await seeded()).filter(
      (r) => r.consent_scope === 'STANDARD' && (r.referring_ministry === 'JUSTICE' || r.receiving_ministry === 'JUSTICE'),
    );
    const ownList = await tableRows(page, 'referral-list-table');
    expect(ownList.map((r) => [r[0], r[1], r[5]]).sort()).toEqual(
      ownRows.map((r) => [r.referral_id, r.referring_ministry === 'JUSTICE' ? 'Made' : 'Received', ageOf(r.requested_at)]).sort(),
    );
    expect(await page.locator('#list-heading').innerText()).toBe('Referrals made or received by Justice sector');
    expect(await page.locator('#referrals-heading').innerText()).toBe('Province-wide: referrals by status and region');
    const expected = expectedFigures(await viewRows(signed.db, VIEW_SCHEMA), { groupBy: ['region', 'status'] });
    expect(figuresOfBody((await statsFor('ministry-justice')) as never)).toEqual(expected);
    await expectFiguresMatchApi(page, await statsFor('ministry-justice'));
    await expectAccessible(page, 'signed-in-ministry');
    await page.getByTestId('lang-toggle').click();
    expect(await page.locator('#list-heading').innerText()).toBe('Aiguillages faits ou reçus par Secteur de la justice');
    expect((await tableRows(page, 'referral-list-table'))[0]?.[1]).toBe('Fait');
    await expectAccessible(page, 'signed-in-ministry-fr');
    await context.close();
  });
});

describe('the office’s periods, trend and drill-down, and the operator’s pipeline, in headless Chromium', () => {
  /**
   * Referrals of their own besides the seed's 23 (all requested in March 2026), dated as the
   * projector's fold dates them: made in November 2025 to April 2026, some accepted or declined in a
   * later month, so that a quarter, a measure and a month differ from all time and from each other.
   */
  const COHORTS = [
    { cohort: 'a', size: 9, region: 'TORONTO', requested: '2025-11-12T10:00:00Z', accepted: '2025-12-03T10:00:00Z' },
    { cohort: 'b', size: 7, region: 'WEST', requested: '2025-12-08T10:00:00Z' },
    { cohort: 'c', size: 8, region: 'EAST', requested: '2026-01-14T10:00:00Z', accepted: '2026-02-02T10:00:00Z' },
    { cohort: 'd', size: 6, region: 'EAST', requested: '2026-01-20T10:00:00Z', declined: '2026-02-10T10:00:00Z' },
    { cohort: 'e', size: 11, region: 'CENTRAL', requested: '2026-02-05T10:00:00Z', accepted: '2026-04-07T10:00:00Z' },
    { cohort: 'f', size: 3, region: 'NORTH_WEST', requested: '2026-02-20T10:00:00Z' },
    { cohort: 'g', size: 6, region: 'NORTH_EAST', requested: '2026-04-15T10:00:00Z' },
  ] as const;
  const Q1: TablePeriod = {
    from: '2026-01-01T00:00:00Z',
    to: '2026-04-01T00:00:00Z',
    named: { en: 'Q1 2026 (January to March)', fr: '1er trimestre 2026 (janvier à mars)' },
  };
  const Q1_MONTHS = [
    ['2026-01', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'],
    ['2026-02', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z'],
    ['2026-03', '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'],
  ] as const;
  /** The pipeline's hops of three events applied a moment ago: adapter → Kafka, Kafka → view, in ms. */
  const RECENT_HOPS = [
    [100, 1000],
    [200, 2000],
    [300, 3000],
  ] as const;

  let p: ViewApiHarness;
  let metrics: Server;
  let rows: Rows;

  beforeAll(async () => {
    // Two services' /metrics as the pipeline page reads them; a third that is not there at all.
    metrics = createServer((req, res) => {
      const body = req.url?.startsWith('/adapter-justice/')
        ? 'outbox_depth 4\noutbox_oldest_unpublished_age_seconds 12.5\n'
        : 'projector_consumer_lag{topic="justice.referrals.v1",partition="0"} 7\nprojector_consumer_lag{topic="health.referrals.v1",partition="1"} 2\n';
      res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    });
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(metrics.address() as AddressInfo).port}`;
    p = await startViewApi(stack.databaseUrl, 'view_api_dashboard_periods', {
      pipelineSources: [
        { service: 'adapter-justice', url: `${base}/adapter-justice` },
        { service: 'projector', url: `${base}/projector` },
        { service: 'adapter-health', url: 'http://127.0.0.1:9' },
      ],
    });
    const template = (await p.db.withSchema(VIEW_SCHEMA).table(VIEW_TABLE.referrals).first()) as Record<string, unknown>;
    const at = (value: string | undefined) => (value === undefined ? null : new Date(value));
    for (const c of COHORTS) {
      for (let n = 1; n <= c.size; n += 1) {
        const id = `60000000-0000-4000-8000-${(c.cohort.charCodeAt(0) * 1000 + n).toString().padStart(12, '0')}`;
        const accepted = 'accepted' in c ? c.accepted : undefined;
        const declined = 'declined' in c ? c.declined : undefined;
        const last = declined ?? accepted ?? c.requested;
        await p.db
          .withSchema(VIEW_SCHEMA)
          .table(VIEW_TABLE.referrals)
          .insert({
            ...template,
            referral_id: id,
            record_key: recordKeyOf(RECORD_KEY_SECRET, id),
            region: c.region,
            status: declined ? 'DECLINED' : accepted ? 'ACCEPTED' : 'REQUESTED',
            status_changed_at: new Date(last),
            subject_pseudonym: `psn-dashboard-${c.cohort}-${n}`,
            created_event_id: randomUUID(),
            last_event_id: randomUUID(),
            last_event_at: new Date(last),
            requested_at: new Date(c.requested),
            received_at: null,
            accepted_at: at(accepted),
            in_progress_at: null,
            on_hold_at: null,
            completed_at: null,
            declined_at: at(declined),
            withdrawn_at: null,
          });
      }
    }
    const history = (await p.db
      .withSchema(VIEW_SCHEMA)
      .table(VIEW_TABLE.referral_history)
      .where('referral_id', SEED.healthToHealth)
      .first()) as Record<string, unknown>;
    for (const [index, [toKafka, toView]] of RECENT_HOPS.entries()) {
      const applied = Date.now() - 60_000;
      await p.db
        .withSchema(VIEW_SCHEMA)
        .table(VIEW_TABLE.referral_history)
        .insert({
          ...history,
          event_id: randomUUID(),
          source_offset: 900_000 + index,
          accepted_at: new Date(applied - toView - toKafka),
          published_at: new Date(applied - toView),
          consumed_at: new Date(applied),
        });
    }
    rows = await viewRows(p.db, VIEW_SCHEMA);
  }, 240_000);
  afterAll(async () => {
    await p?.close();
    await new Promise((resolve) => metrics?.close(resolve));
  });

  /** The month series of the oracle: for each month, the referrals the measure counts in it, as published. */
  const monthSeries = (measure: 'made' | 'accepted') =>
    Q1_MONTHS.map(([month, from, to]) => {
      const set = rows.filter((r) => within(measure === 'made' ? r.requestedAt : r.acceptedAt, from, to));
      const figure = publishedOf(set);
      return [month, figure.suppressed ? 'x' : String(figure.value)];
    });

  /** A published figure on the page: hidden when the method hides it, else the method's value within ±D of the truth. */
  async function expectFigure(td: Locator, figure: { value: number | null; suppressed: boolean }, truth: number): Promise<void> {
    if (figure.suppressed) return expectHidden(td);
    expect(Math.abs((figure.value ?? Infinity) - truth)).toBeLessThanOrEqual(DEFAULT_DISCLOSURE.maxPerturbation);
    expect(await td.innerText()).toBe(String(figure.value));
  }

  /** The referral table of a period: every cell, each region's and status's total and the overall total, as the oracle gives them. */
  async function expectPeriodTable(page: Page, period: TablePeriod): Promise<void> {
    const set = rows.filter((r) => within(r.requestedAt, period.from ?? '', period.to ?? ''));
    const expected = expectedFigures(rows, { groupBy: ['region', 'status'], from: period.from, to: period.to });
    for (const cell of expected.cells) {
      const truth = set.filter((r) => r.region === cell.key['region'] && r.status === cell.key['status']).length;
      await expectFigure(
        page.locator(`td[data-cell="${cell.key['region']}/${cell.key['status']}"]`),
        { value: cell.count, suppressed: cell.suppressed },
        truth,
      );
    }
    for (const dimension of ['region', 'status'] as const)
      for (const cell of expectedFigures(rows, { groupBy: [dimension], from: period.from, to: period.to }).cells)
        await expectFigure(
          page.locator(`[data-testid=referral-table] td[data-margin="${dimension}/${cell.key[dimension]}"]`),
          { value: cell.count, suppressed: cell.suppressed },
          set.filter((r) => r[dimension] === cell.key[dimension]).length,
        );
    await expectFigure(page.getByTestId('referral-total'), { value: expected.total, suppressed: expected.totalSuppressed }, set.length);
    // Nothing else: the regions shown are the period's.
    expect(
      (
        await page.locator('[data-testid=referral-table] tbody tr').evaluateAll((trs) => trs.map((r) => r.getAttribute('data-region')))
      ).sort(),
    ).toEqual(
      [
        ...new Set(expectedFigures(rows, { groupBy: ['region'], from: period.from, to: period.to }).cells.map((c) => c.key['region'])),
      ].sort(),
    );
  }

  /** The trend table's months and figures, a hidden one as x (its spoken word aside). */
  const trendRows = (page: Page) =>
    page.locator('[data-testid=trend-table] tbody tr').evaluateAll((trs) =>
      trs.map((r) => {
        const td = r.querySelector('td') as { innerText: string; getAttribute(name: string): string | null } | null;
        return [r.getAttribute('data-bucket'), td?.getAttribute('data-suppressed') === 'true' ? 'x' : td?.innerText];
      }),
    );

  /**
   * Every table's download on the page: its headers as the table shows them, one line per row shown,
   * then the methodology (how the figures were made, and when) in the page's language.
   */
  async function expectEveryCsv(page: Page, lang: 'en' | 'fr'): Promise<void> {
    // The tables the role's page shows (a hidden section's are not on its page).
    const tables = await page.locator('button[data-export]:visible').evaluateAll((b) => b.map((n) => n.getAttribute('data-export') ?? ''));
    expect(tables.length).toBeGreaterThan(3);
    for (const table of tables) {
      const csv = await downloadedCsv(page, table).catch((error: unknown) => {
        throw new Error(`${table}: ${String(error)}`);
      });
      const headers = await page.locator(`[data-testid=${table}] thead th`).allInnerTexts();
      const shown = await page.locator(`[data-testid=${table}] tbody tr, [data-testid=${table}] tfoot tr`).count();
      expect(csv[0], table).toEqual(headers);
      expect(csv[1 + shown]?.[0], table).toMatch(lang === 'fr' ? /^Méthode\u202f: / : /^Method: /);
      expect(csv.at(-1)?.[0], table).toMatch(lang === 'fr' ? /^Source\u202f: / : /^Source: /);
    }
  }

  async function choosePeriod(page: Page, kind: string, value: string | null, measure: string): Promise<void> {
    await page.locator('#period-kind').selectOption(kind);
    if (value) await page.locator('#period-value').selectOption(value);
    await page.locator('#measure').selectOption(measure);
    // Keyboard only: the button takes Enter.
    await page.locator('#period-form button[type=submit]').focus();
    await page.keyboard.press('Enter');
  }

  it('shows the quarter the office chooses, with its totals and its trend by month, as the method publishes them for the seeded rows, in French and English; a link reproduces the choice', async () => {
    const token = await p.token('coordination-office');
    const context = await browser.newContext({ locale: 'fr-CA', viewport: { width: 1280, height: 1800 } });
    const page = await context.newPage();
    await openDashboard(page, token, '', p);
    expect(await page.getByLabel('Type de période').inputValue()).toBe('all');
    expect(await page.locator('#period-value').isDisabled()).toBe(true);
    expect(await page.locator('#period-value').isVisible()).toBe(false);
    await choosePeriod(page, 'quarter', '2026-Q1', 'made');
    await page.locator('[data-testid=referral-table] caption', { hasText: Q1.named.fr }).waitFor();
    expect(new URL(page.url()).hash).toBe('#period=2026-Q1');
    // The quarter is not all time: the seed's referrals of other quarters are left out.
    expect(rows.filter((r) => within(r.requestedAt, Q1.from ?? '', Q1.to ?? '')).length).toBe(23 + 8 + 6 + 11 + 3);
    expect(rows.length).toBe(23 + 9 + 7 + 8 + 6 + 11 + 3 + 6);
    await expectPeriodTable(page, Q1);
    await expectReferralCsv(page, rows, 'fr', Q1);
    // The trend: one row per month of the quarter, the oracle's month series figure for figure, a hidden month as x.
    expect(await trendRows(page)).toEqual(monthSeries('made'));
    expect(await page.locator('[data-testid=trend] svg[role=img]').getAttribute('aria-label')).toMatch(
      /^Diagramme à barres\u202f: aiguillages faits par mois, 1er trimestre 2026/,
    );
    expect(await page.locator('[data-testid=trend] svg rect').count()).toBe(
      monthSeries('made').filter(([, f]) => f !== 'x' && f !== '0').length,
    );
    const trendCsv = await downloadedCsv(page, 'trend-table');
    expect(trendCsv[0]).toEqual(['Mois', 'Aiguillages']);
    expect(trendCsv.slice(1, 4)).toEqual(monthSeries('made'));
    expect(trendCsv[5]?.[0]).toContain(Q1.named.fr);
    await expectPrintable(page, token);
    expect(await page.locator('[data-testid=trend] svg').isVisible()).toBe(true);
    await expectAccessible(page, 'quarter-fr');

    await page.getByTestId('lang-toggle').focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('[data-testid=referral-table] caption').innerText()).toBe(
      'Referrals made, Q1 2026 (January to March): by region (rows) and current status (columns), with totals',
    );
    expect(await page.locator('#period-value option:checked').innerText()).toBe(Q1.named.en);
    await expectPeriodTable(page, Q1);
    await expectReferralCsv(page, rows, 'en', Q1);
    expect(await trendRows(page)).toEqual(monthSeries('made'));
    expect(await page.locator('[data-testid=trend-table] tbody th').allInnerTexts()).toEqual(['Jan 2026', 'Feb 2026', 'Mar 2026']);
    await expectAccessible(page, 'quarter-en');

    // Accepted in the quarter: a referral counts in its acceptance's month, wherever it was made.
    await choosePeriod(page, 'quarter', '2026-Q1', 'accepted');
    await page.locator('[data-testid=referral-table] caption', { hasText: 'Referrals accepted' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#period=2026-Q1&measure=accepted');
    const accepted = rows.filter((r) => within(r.acceptedAt, Q1.from ?? '', Q1.to ?? ''));
    expect(accepted.length).toBe(8 + 7 + 8);
    await expectFigure(page.getByTestId('referral-total'), publishedOf(accepted), accepted.length);
    expect(await trendRows(page)).toEqual(monthSeries('accepted'));
    await context.close();

    // The link: another page opened at that address shows the same choice and the same figures.
    const other = await browser.newContext({ locale: 'en-CA' });
    const linked = await other.newPage();
    await openDashboard(linked, token, '?lang=en#period=2026-Q1&measure=accepted', p);
    expect(await linked.locator('#period-kind').inputValue()).toBe('quarter');
    expect(await linked.locator('#period-value').inputValue()).toBe('2026-Q1');
    expect(await linked.locator('#measure').inputValue()).toBe('accepted');
    await expectFigure(linked.getByTestId('referral-total'), publishedOf(accepted), accepted.length);
    expect(await trendRows(linked)).toEqual(monthSeries('accepted'));
    await other.close();
  });

  it('shows a fiscal year’s trend by quarter, each quarter as the method publishes the referrals made in it', async () => {
    const token = await p.token('coordination-office');
    const context = await browser.newContext({ locale: 'fr-CA', viewport: { width: 1280, height: 1800 } });
    const page = await context.newPage();
    await openDashboard(page, token, '', p);
    await page.locator('#trend-by').selectOption('quarter');
    await choosePeriod(page, 'fiscal', 'FY2025-26', 'made');
    await page.locator('[data-testid=referral-table] caption', { hasText: 'exercice 2025-2026 (avril 2025 à mars 2026)' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#period=FY2025-26&trend=quarter');
    const quarters = [
      ['2025-Q2', '2025-04-01T00:00:00Z', '2025-07-01T00:00:00Z'],
      ['2025-Q3', '2025-07-01T00:00:00Z', '2025-10-01T00:00:00Z'],
      ['2025-Q4', '2025-10-01T00:00:00Z', '2026-01-01T00:00:00Z'],
      ['2026-Q1', '2026-01-01T00:00:00Z', '2026-04-01T00:00:00Z'],
    ] as const;
    const expected = quarters.map(([quarter, from, to]) => {
      const figure = publishedOf(rows.filter((r) => within(r.requestedAt, from, to)));
      return [quarter, figure.suppressed ? 'x' : String(figure.value)];
    });
    expect(expected.map(([, f]) => f).slice(0, 2)).toEqual(['0', '0']);
    await page.locator('[data-testid=trend-table] tbody tr[data-bucket="2026-Q1"]').waitFor();
    expect(await trendRows(page)).toEqual(expected);
    expect(await page.locator('[data-testid=trend-table] tbody th').allInnerTexts()).toEqual(['T2 2025', 'T3 2025', 'T4 2025', 'T1 2026']);
    await expectPeriodTable(page, {
      from: '2025-04-01T00:00:00Z',
      to: '2026-04-01T00:00:00Z',
      named: { en: '', fr: '' },
    });
    await expectEveryCsv(page, 'fr');
    await expectAccessible(page, 'fiscal-year-fr');
    await context.close();
  });

  it('drills down to a region’s categories and statuses, a pillar’s initiatives with their flags in words, and the gaps by category, age and month', async () => {
    const token = await p.token('coordination-office');
    const context = await browser.newContext({ locale: 'en-CA', viewport: { width: 1280, height: 2400 } });
    const page = await context.newPage();
    await openDashboard(page, token, '?lang=en#period=2026-Q1', p);
    await page.getByLabel('Region', { exact: true }).selectOption('EAST');
    await page.getByRole('button', { name: 'Show the region' }).press('Enter');
    await page.getByTestId('region-table').waitFor();
    expect(new URL(page.url()).hash).toBe('#period=2026-Q1&region=EAST');
    const east = rows.filter((r) => r.region === 'EAST' && within(r.requestedAt, Q1.from ?? '', Q1.to ?? ''));
    const regional = expectedFigures(rows, { groupBy: ['category', 'status'], region: 'EAST', from: Q1.from, to: Q1.to });
    for (const cell of regional.cells)
      await expectFigure(
        page.locator(`[data-testid=region-table] td[data-cell="${cell.key['category']}/${cell.key['status']}"]`),
        { value: cell.count, suppressed: cell.suppressed },
        east.filter((r) => r.category === cell.key['category'] && r.status === cell.key['status']).length,
      );
    await expectFigure(page.getByTestId('region-total'), { value: regional.total, suppressed: regional.totalSuppressed }, east.length);
    expect(await page.locator('[data-testid=region-table] tbody th').allInnerTexts()).toEqual(['Housing']);
    const regionCsv = await downloadedCsv(page, 'region-table');
    expect(regionCsv[0]?.[0]).toBe('Service category');

    // A pillar's initiatives, checked against the view's own rows.
    const initiatives = (await p.db
      .withSchema(VIEW_SCHEMA)
      .table(VIEW_TABLE.initiatives)
      .select('initiative_id', 'pillar_id', 'lead_ministry', 'latest_status', 'latest_occurred_at')) as Array<{
      initiative_id: string;
      pillar_id: string;
      lead_ministry: string;
      latest_status: string | null;
      latest_occurred_at: Date | null;
    }>;
    const started = initiatives.find((i) => i.latest_status === 'STARTED');
    expect(started).toBeDefined();
    await page.getByLabel('Pillar to list').selectOption(started?.pillar_id ?? '');
    await page.getByRole('button', { name: 'List the initiatives' }).press('Enter');
    await expect.poll(() => new URL(page.url()).hash).toContain(`pillar=${started?.pillar_id}`);
    const listed = await page
      .locator('[data-testid=initiative-list-table] tbody tr')
      .evaluateAll((trs) =>
        trs.map((r) => [
          r.getAttribute('data-initiative'),
          ...[...r.querySelectorAll('td')].map((td) => (td as { innerText: string }).innerText),
        ]),
      );
    const ofPillar = initiatives
      .filter((i) => i.pillar_id === started?.pillar_id)
      .sort((a, b) => a.initiative_id.localeCompare(b.initiative_id));
    expect(listed.map((r) => r[0]).sort()).toEqual(ofPillar.map((i) => i.initiative_id));
    for (const initiative of ofPillar) {
      const row = listed.find((r) => r[0] === initiative.initiative_id) ?? [];
      const days = initiative.latest_occurred_at ? Math.floor((Date.now() - initiative.latest_occurred_at.getTime()) / 86_400_000) : null;
      const stale = days === null || days > DEFAULT_INITIATIVE_STALE_DAYS;
      expect(row[2], initiative.initiative_id).toBe(initiative.latest_status === 'STARTED' ? 'Started' : 'No milestone yet');
      expect(row[4], initiative.initiative_id).toBe(days === null ? '—' : String(days));
      // The flags are words, not a colour.
      expect(row[6]?.includes('No recent milestone'), initiative.initiative_id).toBe(stale);
      expect(row[6]?.includes('No milestone yet'), initiative.initiative_id).toBe(days === null);
    }
    const initiativeCsv = await downloadedCsv(page, 'initiative-list-table');
    expect(initiativeCsv[0]).toEqual([
      'Initiative',
      'Lead ministry',
      'Latest milestone',
      'Date of the latest milestone',
      'Days since',
      'Target date',
      'Flags',
    ]);

    // Gaps by category, by age and resolved per month, from the view's rows.
    const gaps = (await p.db
      .withSchema(VIEW_SCHEMA)
      .table(VIEW_TABLE.service_gaps)
      .select('status', 'region', 'service_category', 'reported_at', 'resolved_at')) as Array<{
      status: string;
      region: string;
      service_category: string;
      reported_at: Date;
      resolved_at: Date | null;
    }>;
    const open = gaps.filter((g) => g.status === 'OPEN');
    for (const gap of open)
      expect(
        await page
          .locator(`[data-testid=gaps-category-table] [data-region=${gap.region}] td[data-category=${gap.service_category}]`)
          .innerText(),
      ).toBe(String(open.filter((g) => g.region === gap.region && g.service_category === gap.service_category).length));
    const ageOf = (g: { reported_at: Date }) => Math.floor((Date.now() - g.reported_at.getTime()) / 86_400_000);
    for (const [from, to] of [
      [0, 30],
      [30, 90],
      [90, 180],
      [180, Infinity],
    ] as const)
      expect(await page.locator(`[data-testid=gaps-age-table] tr[data-from-days="${from}"] td`).innerText()).toBe(
        String(open.filter((g) => ageOf(g) >= from && ageOf(g) < to).length),
      );
    const resolved = gaps.filter((g) => g.resolved_at !== null);
    expect(
      await page
        .locator('[data-testid=gaps-resolved-table] tbody tr')
        .evaluateAll((trs) => trs.map((r) => [r.getAttribute('data-month'), r.querySelector('td')?.textContent])),
    ).toEqual(
      [...new Set(resolved.map((g) => g.resolved_at?.toISOString().slice(0, 7)))].map((month) => [
        month,
        String(resolved.filter((g) => g.resolved_at?.toISOString().startsWith(month ?? '')).length),
      ]),
    );
    expect((await page.locator('[data-testid=gap-list-table] tbody tr').allInnerTexts()).length).toBe(open.length);
    // One gap resolved a day after it was reported: the median, in days, singular where the language wants it.
    const medianDays = resolved.map((g) => ((g.resolved_at?.getTime() ?? 0) - g.reported_at.getTime()) / 86_400_000);
    expect(medianDays).toEqual([1]);
    const inDays = (locale: string) => new Intl.NumberFormat(locale, { style: 'unit', unit: 'day', unitDisplay: 'long' }).format(1);
    expect(await page.getByTestId('median-resolve').innerText()).toBe(inDays('en-CA'));
    // Every table on the page has its entry in the data dictionary.
    const dictionary = (await (await p.get('/data-dictionary.json')).json()) as { tables: Array<{ id: string }> };
    for (const table of await page.locator('button[data-export]').evaluateAll((b) => b.map((n) => n.getAttribute('data-export'))))
      expect(dictionary.tables.map((t) => t.id)).toContain(table);
    await expectEveryCsv(page, 'en');
    await expectAccessible(page, 'drill-down-en');
    await page.getByTestId('lang-toggle').click();
    expect(await page.locator('[data-testid=initiative-list-table] thead').innerText()).toContain('Ministère responsable');
    expect(await page.locator('[data-testid=region-table] tbody th').allInnerTexts()).toEqual(['Logement']);
    expect(await page.getByTestId('median-resolve').innerText()).toBe(inDays('fr-CA'));
    // Flags in French, a narrow no-break space before the semicolon.
    expect(await page.locator('[data-testid=initiative-list-table] td[data-flags="stale noMilestone"]').first().innerText()).toBe(
      'Aucun jalon récent\u202f; Aucun jalon à ce jour',
    );
    await expectAccessible(page, 'drill-down-fr');
    await context.close();
  });

  it('gives the operator the pipeline’s latency per hop, outboxes, consumer lag and dead letters beside the dead-letter table, and a flow keeping business time apart from pipeline time, in English and French', async () => {
    const token = await p.token('operator');
    const context = await browser.newContext({ locale: 'en-CA', viewport: { width: 1280, height: 1800 } });
    const page = await context.newPage();
    await openDashboard(page, token, '?lang=en', p);
    expect(await page.locator('#pipeline-health-heading').innerText()).toBe('Pipeline: latency, outboxes and consumer lag');
    expect(await page.getByTestId('dead-letters').isVisible()).toBe(true);
    const letters = await p.db.withSchema(VIEW_SCHEMA).table(VIEW_TABLE.dead_letters).count({ n: '*' });
    expect(await page.getByTestId('dead-letter-count').innerText()).toBe(String(letters[0]?.['n']));
    // Percentiles of the three recent events' hops, computed here (percentile_cont: interpolated).
    const percentile = (values: number[], q: number) => {
      const sorted = [...values].sort((a, b) => a - b);
      const at = q * (sorted.length - 1);
      const low = sorted[Math.floor(at)] ?? 0;
      return Math.round(low + (at - Math.floor(at)) * ((sorted[Math.ceil(at)] ?? 0) - low));
    };
    const hops = {
      acceptedToPublishedMs: RECENT_HOPS.map(([k]) => k as number),
      publishedToAppliedMs: RECENT_HOPS.map(([, v]) => v as number),
      acceptedToAppliedMs: RECENT_HOPS.map(([k, v]) => k + v),
    };
    const ms = (lang: string, value: number) => `${new Intl.NumberFormat(lang).format(value)}\u00a0ms`;
    for (const [hop, values] of Object.entries(hops))
      for (const [name, q] of [
        ['p50', 0.5],
        ['p95', 0.95],
        ['max', 1],
      ] as const) {
        const td = page.locator(`[data-testid=pipeline-latency-table] tr[data-hop=${hop}] td[data-percentile=${name}]`);
        expect(await td.getAttribute('data-ms'), `${hop} ${name}`).toBe(String(percentile(values, q)));
        expect(await td.innerText(), `${hop} ${name}`).toBe(ms('en-CA', percentile(values, q)));
      }
    expect(await page.locator('[data-testid=pipeline-latency-table] caption').innerText()).toBe(
      'Latency of each hop over the 3 referral events applied in the last 24 hours',
    );
    const services = await tableRowsOf(page, 'pipeline-services-table');
    expect(services).toEqual([
      ['adapter-justice', 'Yes', '4', '12.5\u00a0s', '—'],
      ['projector', 'Yes', '—', '—', '9'],
      ['adapter-health', 'No: it did not answer', '—', '—', '—'],
    ]);
    expect(await tableRowsOf(page, 'consumer-lag-table')).toEqual([
      ['projector', 'health.referrals.v1:1', '2'],
      ['projector', 'justice.referrals.v1:0', '7'],
    ]);
    const latencyCsv = await downloadedCsv(page, 'pipeline-latency-table');
    expect(latencyCsv[0]).toEqual(['Hop', 'Median (p50)', '95th percentile', 'Maximum']);
    expect(latencyCsv[1]?.slice(1)).toEqual(['200', '290', '300']);

    // The flow: business time in days of casework, the pipeline's own hops in ms, in columns of their own; no raw timestamps.
    await page.getByLabel('Referral id').fill(SEED.justiceToChildWelfare);
    await page.getByLabel('Referral id').press('Enter');
    await page.getByTestId('flow-table').waitFor();
    const header = await page.locator('[data-testid=flow-table] thead th').allInnerTexts();
    expect(header.slice(3, 7)).toEqual([
      'Business time since the previous event',
      'Pipeline: adapter → Kafka',
      'Pipeline: Kafka → view',
      'Pipeline time, end to end',
    ]);
    const flowRows = await tableRowsOf(page, 'flow-table');
    // The seed: accepted a day after it was made; each hop accepted 200 ms after the fact, published 250 ms later, applied 1,050 ms after that.
    expect(flowRows.map((r) => r.slice(3, 7))).toEqual([
      ['—', ms('en-CA', 250), ms('en-CA', 1050), ms('en-CA', 1300)],
      ['1 day', ms('en-CA', 250), ms('en-CA', 1050), ms('en-CA', 1300)],
    ]);
    expect(await page.getByTestId('flow-table').innerText()).not.toMatch(/\d{4}-\d{2}-\d{2}T\d\d:/);
    await expectEveryCsv(page, 'en');
    await expectAccessible(page, 'operator-pipeline-en');
    // Print: the figures, never the token nor a control.
    await page.emulateMedia({ media: 'print' });
    expect(await page.getByTestId('pipeline-latency-table').isVisible()).toBe(true);
    expect(await page.locator('button:visible, input:visible, textarea:visible, select:visible, form:visible').count()).toBe(0);
    expect(await page.locator('body').innerText()).not.toContain(token.slice(-20));
    await page.emulateMedia({ media: 'screen' });

    await page.getByTestId('lang-toggle').click();
    expect(await page.locator('#pipeline-health-heading').innerText()).toBe(
      'Chaîne de traitement\u202f: latence, files d’envoi et retard de consommation',
    );
    expect(await page.locator('[data-testid=pipeline-latency-table] thead').innerText()).toMatch(
      /Étape\s+Médiane \(p50\)\s+95e centile\s+Maximum/,
    );
    expect(
      await page.locator('[data-testid=pipeline-latency-table] tr[data-hop=publishedToAppliedMs] td[data-percentile=max]').innerText(),
    ).toBe(ms('fr-CA', 3000));
    expect((await tableRowsOf(page, 'pipeline-services-table'))[2]?.[1]).toBe('Non\u202f: aucune réponse');
    expect((await tableRowsOf(page, 'flow-table'))[1]?.slice(3, 4)).toEqual(['1\u00a0jour']);
    expect(await page.locator('[data-testid=flow-table] thead').innerText()).toContain('Délai métier depuis l’événement précédent');
    await expectAccessible(page, 'operator-pipeline-fr');
    await context.close();
  });
});

/** Each body row's cells (header cell first) as the page shows them. */
const tableRowsOf = (page: Page, testid: string) =>
  page
    .locator(`[data-testid=${testid}] tbody tr`)
    .evaluateAll((trs) => trs.map((r) => [...r.children].map((c) => (c as { innerText: string }).innerText)));
