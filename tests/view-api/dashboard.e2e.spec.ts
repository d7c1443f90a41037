import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { requireChromium } from '@passerelle/infra';
import { startViewApi, VIEW_SCHEMA, type ViewApiHarness } from './harness.ts';
import { expectedFigures, figuresOfBody, viewRows } from './published-figures.ts';
import { SEED } from './view-seed.ts';

const stack = inject('stack');
const RESULTS = resolve(import.meta.dirname, '../../.passerelle/test-results');
let h: ViewApiHarness;
let browser: Browser;

interface Stats {
  total: number | null;
  threshold: number;
  medianDaysToAcceptance: number | null;
  cells: Array<{ key: Record<string, string>; count: number | null; suppressed: boolean }>;
}

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  h = await startViewApi(stack.databaseUrl, 'view_api_dashboard');
  browser = await chromium.launch({
    executablePath: requireChromium().executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
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

async function expectFiguresMatchApi(page: Page, stats: Stats): Promise<void> {
  for (const cell of stats.cells) {
    const td = page.locator(`td[data-cell="${cell.key['region']}/${cell.key['status']}"]`);
    if (cell.suppressed) {
      expect(await td.getAttribute('data-suppressed')).toBe('true');
      expect((await td.innerText()).trim().split('\n')[0]).toBe('x');
      expect(await td.getAttribute('title')).toMatch(new RegExp(`1 (to|à) ${stats.threshold}`));
    } else {
      expect(await td.innerText()).toBe(String(cell.count));
    }
  }
  expect(await page.getByTestId('referral-total').innerText()).toBe(String(stats.total));
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
    expect(stats.cells.some((c) => c.count !== null && c.count !== truth(c.key['region'] ?? '', c.key['status'] ?? '')) || stats.total !== rows.length).toBe(true);

    const context = await browser.newContext({ locale: 'fr-CA', viewport: { width: 1280, height: 1600 } });
    const page = await context.newPage();
    await openDashboard(page, token);
    // navigator.language is fr-CA: French by default.
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    expect(await page.locator('#referrals-heading').innerText()).toBe('Aiguillages par statut et par région');
    await expectFiguresMatchApi(page, stats);
    expect(await page.getByTestId('disclosure-note').innerText()).toMatch(/légèrement modifié au hasard, d’au plus 4 .* de 1 à 5 sont masqués/);
    for (const region of gaps.regions) expect(await page.getByTestId(`gaps-open-${region.region}`).innerText()).toBe(String(region.open));
    expect(await page.locator('[data-testid=initiative-table] tbody tr').count()).toBeGreaterThan(0);
    await page.screenshot({ path: resolve(RESULTS, 'view-api-dashboard-fr.png'), fullPage: true });

    // Keyboard only: focus the switch and press Enter.
    await page.getByTestId('lang-toggle').focus();
    await page.keyboard.press('Enter');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('#referrals-heading').innerText()).toBe('Referrals by status and region');
    await expectFiguresMatchApi(page, stats);
    expect(await page.getByTestId('disclosure-note').innerText()).toMatch(/small random adjustment of at most 4 .* from 1 to 5 are hidden/);
    await page.screenshot({ path: resolve(RESULTS, 'view-api-dashboard-en.png'), fullPage: true });
    await context.close();
  });

  it('shows an operator the flow of a referral with links to the trace UI, and no referral figures', async () => {
    const token = await h.token('operator');
    const flow = (await (await h.get(`/v1/referrals/${SEED.justiceToChildWelfare}/flow`, token)).json()) as { hops: Array<{ traceUrl: string }> };
    const context = await browser.newContext({ locale: 'en-CA' });
    const page = await context.newPage();
    await openDashboard(page, token, '?lang=en');
    expect(await page.getByTestId('referrals').innerText()).toContain('Not available for your role.');
    await page.getByLabel('Referral id').fill(SEED.justiceToChildWelfare);
    await page.getByLabel('Referral id').press('Enter');
    await page.waitForSelector('[data-testid=flow-table]');
    const hrefs = await page.locator('[data-testid=flow-table] a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(hrefs).toEqual(flow.hops.map((hop) => hop.traceUrl));
    await page.screenshot({ path: resolve(RESULTS, 'view-api-dashboard-operator.png'), fullPage: true });
    await context.close();
  });
});
