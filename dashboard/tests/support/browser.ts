// Debian's Chromium driven by playwright-core (never a downloaded browser), axe-core checks
// and screenshots under test-results/screenshots.
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { beforeEach, expect } from 'vitest';

export const CHROMIUM = process.env.AIRL_CHROMIUM ?? '/usr/bin/chromium';
export const DESKTOP = { width: 1360, height: 900 };
export const PHONE = { width: 390, height: 844 };
const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  // playwright-core gives every launch a fresh temporary profile. Without the
  // background-networking flags Chromium's own connections are refused on a closed network
  // and slow everything down.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

export async function newPage(browser: Browser, viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'Europe/Berlin' });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  // Any uncaught error in the app fails the test that caused it.
  page.on('pageerror', (error) => {
    throw error;
  });
  return { context, page };
}

/** No serious or critical axe-core violation on the page as it is now. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const report = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`);
  expect(report, `accessibility of ${what}`).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Let charts and fonts settle.
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(300);
  // The whole page as one tall viewport (a full-page capture would leave the sticky sidebar
  // where the scroll put it).
  const viewport = page.viewportSize() ?? DESKTOP;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, height) });
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
  await page.setViewportSize(viewport);
}

/** Keeps a screenshot of the page when a test of this file fails (call in the file's top level). */
export function screenshotsOnFailure(page: () => Page | undefined): void {
  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(async () => {
      const p = page();
      if (p) await screenshot(p, `FAILED-${task.name.replace(/\W+/g, '-')}`).catch(() => undefined);
    });
  });
}
