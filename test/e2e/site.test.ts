import { existsSync, mkdirSync } from 'node:fs';
import { gql } from 'graphql-request';
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoCity } from '../../src/demo/seed.ts';
import { chinaDay } from '../../src/china-day.ts';
import { lifecycleRulesDir } from '../support/rules.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * The public site in a real browser (Debian's chromium driven by playwright-core): the demo city,
 * two published periods, a dynamic BLACK with an automatic blacklisting of an enterprise whose name
 * is a script injection. With UPDATE_SCREENSHOTS=1 the pages are saved to docs/screenshots/ (for the README).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`site browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

const INJECTION = '<script>window.__x=1</script><img src=x onerror=window.__y=1>';
const INJECTED_CODE = '91440300708461136T';
const SCREENSHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname;
// Only on request: a test run must not rewrite tracked files.
const SAVE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const admin = { role: 'bureau_admin' as const, org: 'linjiang-eeb', subject: 'admin-1' };
const officer = { role: 'bureau_officer' as const, org: 'linjiang-eeb', subject: 'officer-1' };

let server: TestServer;
let browser: Browser;
let base: string;
let beforeAnything: Date;

async function publish(period: string): Promise<void> {
  const started = await server.client(officer).request<any>(gql`mutation($input: StartRatingRunInput!) { startRatingRun(input: $input) { id } }`, {
    input: { ruleSetId: 'linjiang', version: '2025.1', period, scope: { all: true }, mode: 'DRAFT' },
  });
  const id = started.startRatingRun.id as string;
  await server.service.tracker.completion(Number(id.replace('run:', '')));
  await server.client(admin).request(gql`mutation($id: ID!) { beginPublicity(runId: $id) { status } }`, { id });
  server.clock.advance(11 * 86_400_000);
  await server.client(admin).request(gql`mutation($id: ID!) { publishRatingRun(runId: $id) { status } }`, { id });
}

/** Opens a page, collecting console errors and page errors; fails on any. */
async function open(path: string, options: { width?: number; screenshot?: string } = {}): Promise<{ page: Page; errors: string[]; status: number }> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1100, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  const response = await page.goto(`${base}${path}`, { waitUntil: 'load' });
  if (options.screenshot && SAVE_SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}${options.screenshot}`, fullPage: true });
  return { page, errors, status: response?.status() ?? 0 };
}

describe.skipIf(!available)('public disclosure site in headless Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startTestServer({ RULES_DIR: lifecycleRulesDir(10, { effectiveFrom: '2024-01-01' }), LOG_LEVEL: 'error' });
    base = server.service.url;
    beforeAnything = server.clock.now();
    await seedDemoCity(server.database.db, { seed: 220681 });
    await server.client(officer).request(gql`mutation($input: EnterpriseInput!) { registerEnterprise(input: $input) { created } }`, {
      input: { creditCode: INJECTED_CODE, name: INJECTION, region: '建国街道', industry: 'C2011' },
    });
    await publish('2024');
    await publish('2025');
    server.clock.advance(86_400_000);
    await server.client(officer).request(
      gql`mutation($input: RecordViolationInput!) { recordViolation(input: $input) { created dynamicAdjustment { level } } }`,
      {
        input: {
          creditCode: INJECTED_CODE, source: 'penalty-register', sourceId: 'SITE-XSS-1', decisionNumber: '临环罚〔2026〕7号',
          decidedOn: server.clock.now().toISOString().slice(0, 10), violationType: 'FALSIFIED_MONITORING_DATA',
          legalBasis: '《中华人民共和国大气污染防治法》第一百零八条', fineCny: 200000, measures: ['CORRECTION_ORDER'],
        },
      },
    );
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it.each([
    ['/', 'home-desktop.png', 1100],
    ['/', 'home-phone.png', 390],
    ['/blacklist', 'blacklist.png', 1100],
    ['/leaders', 'leaders.png', 1100],
    ['/rules', 'rules.png', 1100],
    ['/rules/linjiang/2025.1', 'rules-linjiang-2025.1.png', 1100],
    ['/rules/diff?a=linjiang@2025.1&b=linjiang@2025.2', 'rules-diff.png', 1100],
    ['/reports', null, 1100],
    ['/reports/2025', 'report-2025.png', 1100],
  ] as const)('%s loads without console errors (%s)', async (path, screenshot, width) => {
    const { page, errors, status } = await open(path, { width, ...(screenshot ? { screenshot } : {}) });
    expect(status).toBe(200);
    expect(errors).toEqual([]);
    expect(await page.locator('h1').count()).toBe(1);
    await page.context().close();
  }, 60_000);

  it('the home page charts the levels with a text alternative', async () => {
    const { page } = await open('/');
    const chart = page.locator('svg[role=img]').first();
    expect(await chart.getAttribute('aria-labelledby')).toBeTruthy();
    expect(await page.locator('svg[role=img] desc').first().textContent()).toMatch(/环保诚信: \d+/);
    expect(await page.locator('table').first().textContent()).toContain('GREEN');
    await page.context().close();
  });

  it('an enterprise page shows the published history and register status; bad codes are 400 and unknown ones 404', async () => {
    const code = (await sql<{ code: string }>`select trim(credit_code) as code from enterprise_current where credit_code <> ${INJECTED_CODE} order by credit_code limit 1`.execute(server.database.db)).rows[0]!.code;
    const { page, errors, status } = await open(`/enterprises/${code}`, { screenshot: 'enterprise.png' });
    expect(status).toBe(200);
    expect(errors).toEqual([]);
    const text = await page.locator('main').textContent();
    expect(text).toContain('2025');
    expect(text).toContain('2024');
    expect(text).not.toMatch(/violation:\d+/);
    await page.context().close();
    const bad = await open('/enterprises/91440300708461136X');
    expect(bad.status).toBe(400);
    await bad.page.context().close();
    const unknown = await open('/enterprises/91310110666007217T');
    expect(unknown.status).toBe(404);
    await unknown.page.context().close();
  });

  it('the search finds a demo enterprise by name', async () => {
    const demo = (await sql<{ name: string; code: string }>`select name, trim(credit_code) as code from enterprise_current where credit_code like '9_220681%' order by credit_code limit 1`.execute(server.database.db)).rows[0]!;
    const { page, errors } = await open('/');
    await page.fill('#q', demo.name);
    await Promise.all([page.waitForURL(/\/enterprises\?q=/), page.click('form.search button')]);
    expect(errors).toEqual([]);
    expect(await page.locator(`a[href="/enterprises/${demo.code}"]`).count()).toBeGreaterThan(0);
    if (SAVE_SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}search.png`, fullPage: true });
    await page.context().close();
  });

  it('the blacklist search finds a listed enterprise by code, and the as-of picker changes the list', async () => {
    const { page } = await open('/blacklist');
    await page.fill('#q', INJECTED_CODE);
    await Promise.all([page.waitForURL(/q=/), page.click('form.search button')]);
    expect(await page.locator(`tbody a[href="/enterprises/${INJECTED_CODE}"]`).count()).toBe(1);
    const today = await page.locator('tbody tr').count();
    expect(today).toBeGreaterThan(0);

    await page.fill('#q', '');
    await page.fill('#asOf', chinaDay(new Date(beforeAnything.getTime() - 86_400_000)));
    await Promise.all([page.waitForURL(/asOf=/), page.click('form.search button')]);
    expect(await page.locator('tbody tr').count()).toBe(0);
    expect(await page.locator('main').textContent()).toContain('名录为空');
    const exportLink = await page.getByRole('link', { name: 'CSV', exact: true }).getAttribute('href');
    expect(exportLink).toMatch(/^\/registers\/blacklist\.csv\?asOf=/);
    await page.context().close();
  });

  it('a script-injection name renders as text and runs nothing', async () => {
    for (const path of [`/enterprises/${INJECTED_CODE}`, '/blacklist', '/', `/enterprises?q=${encodeURIComponent('<script>')}`]) {
      const { page, errors } = await open(path);
      expect(errors).toEqual([]);
      expect(await page.evaluate(() => [(window as any).__x, (window as any).__y])).toEqual([undefined, undefined]);
      expect(await page.locator('main').textContent()).toContain(INJECTION);
      expect(await page.locator('main script, main img').count()).toBe(0);
      await page.context().close();
    }
  });

  it('pages are cacheable for a short time and forbid scripts', async () => {
    const response = await fetch(`${base}/blacklist`);
    expect(response.headers.get('cache-control')).toBe('public, max-age=60');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await fetch(`${base}/reports/20x5`)).status).toBe(400);
    expect((await fetch(`${base}/reports/2019`)).status).toBe(404);
    expect((await fetch(`${base}/rules/diff?a=linjiang@2025.1&b=nope@1`)).status).toBe(404);
  });
});
