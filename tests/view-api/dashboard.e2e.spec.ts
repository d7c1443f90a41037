import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { requireChromium } from '@passerelle/infra';
import { realmAdmin, requireIdentity, userToken } from '@passerelle/testing';
import { VIEW_TABLE } from '@passerelle/coordination-view';
import { DEFAULT_AUDIENCE, DEFAULT_MAX_TOKEN_AGE_SECONDS } from '@passerelle/view-api';
import { startViewApi, VIEW_SCHEMA, type ViewApiHarness } from './harness.ts';
import { expectedFigures, figuresOfBody, viewRows } from './published-figures.ts';
import { SEED } from './view-seed.ts';

const stack = inject('stack');
/** Screenshots go with the test output (scripts/test.ts writes the reports beside them). */
const SCREENSHOTS = resolve(import.meta.dirname, '../../.passerelle/test-results/screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let h: ViewApiHarness;
let browser: Browser;

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

async function openDashboard(page: Page, token: string, query = ''): Promise<void> {
  await page.goto(`${h.api.url}/${query}`);
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
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`button[data-export=${table}]`).click()]);
  const text = readFileSync(await download.path(), 'utf8');
  expect(text.startsWith('\ufeff')).toBe(true);
  return parseCsv(text.slice(1));
}

/**
 * The referral table's CSV: headers in the page's language, the figures the published method gives for
 * the seeded rows (computed here, not taken from the API), the total, then the methodology lines.
 */
async function expectReferralCsv(page: Page, expected: ReturnType<typeof expectedFigures>, lang: 'en' | 'fr'): Promise<void> {
  const csv = await downloadedCsv(page, 'referral-table');
  expect(csv[0]?.[0]).toBe(lang === 'fr' ? 'Région' : 'Region');
  const keys = await page
    .locator('[data-testid=referral-table] tbody tr')
    .evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.getAttribute('data-cell') ?? '')));
  const figure = (key: string) => {
    const [region, status] = key.split('/');
    const cell = expected.cells.find((c) => c.key['region'] === region && c.key['status'] === status);
    return cell === undefined ? '0' : cell.suppressed ? 'x' : String(cell.count);
  };
  expect(csv.slice(1, 1 + keys.length).map((row) => row.slice(1))).toEqual(keys.map((row) => row.map(figure)));
  expect(csv[1 + keys.length]).toEqual([lang === 'fr' ? 'Total' : 'Total', expected.totalSuppressed ? 'x' : String(expected.total)]);
  const method = csv[2 + keys.length]?.[0] ?? '';
  expect(method).toMatch(
    lang === 'fr'
      ? /d’au plus 6 .* de 1 à 5 masqués .*tous les aiguillages à ce jour/
      : /at most 6 .* from 1 to 5 hidden .*all referrals to date/,
  );
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
    const expected = expectedFigures(rows, { groupBy: ['region', 'status'] });
    await expectReferralCsv(page, expected, 'fr');
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
    await expectReferralCsv(page, expected, 'en');
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

  async function signIn(page: Page, username: string): Promise<void> {
    // The provider's login and the code exchange take longer than playwright's 30 s on a loaded machine.
    page.setDefaultTimeout(60_000);
    await page.goto(`${signed.api.url}/?lang=en`);
    await page.getByTestId('sign-in').click();
    // The provider's own login page, not the dashboard's.
    await page.waitForURL((url) => url.href.startsWith(`${identity.issuer}/protocol/openid-connect/auth`));
    await page.locator('#username').fill(username);
    await page.locator('#password').fill(identity.credentials.users[username] ?? '');
    await page.locator('#kc-login').click();
    await page.waitForSelector('body[data-loaded=true]');
    expect(new URL(page.url()).search).toBe('?lang=en');
  }

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
