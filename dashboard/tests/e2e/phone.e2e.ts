// Every main page at phone width: readable (nothing wider than the screen), accessible, and
// navigable through the menu. Screenshots of each for review.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { api, proxyChat, sessionToken, signUpAndSignIn, startEnv, type TestEnv } from '../support/app';
import { expectAccessible, newPage, PHONE, screenshot, screenshotsOnFailure } from '../support/browser';

let env: TestEnv;
let page: Page;
let projectId = '';

beforeAll(async () => {
  env = await startEnv();
  page = (await newPage(env.browser, PHONE)).page;
});

afterAll(async () => {
  await env?.stop();
});

screenshotsOnFailure(() => page);

async function expectFits(what: string) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${what} is wider than the screen`).toBeLessThanOrEqual(0);
}

async function check(name: string) {
  await expectFits(name);
  await expectAccessible(page, `${name} at phone width`);
  await screenshot(page, `${name}-phone`);
}

describe('at phone width', () => {
  it('signs up and in', async () => {
    await page.goto(`${env.server.url}/signup`);
    await page.getByRole('button', { name: 'Create account' }).waitFor();
    await check('signup');
    await page.goto(`${env.server.url}/login`);
    await page.getByRole('button', { name: 'Send sign-in link' }).waitFor();
    await check('login');
    await signUpAndSignIn(page, env);
    await page.getByRole('heading', { name: 'Create your first project' }).waitFor();
    await check('projects-empty');
  });

  it('creates a project and sees its pages', async () => {
    await page.goto(`${env.server.url}/projects/new`);
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Phone app');
    await page.getByRole('spinbutton', { name: 'Request limit' }).fill('3');
    await check('new-project');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/connect$/);
    projectId = page.url().split('/').at(-2) ?? '';
    const key = (await page.getByTestId('project-key').textContent()) ?? '';
    await check('connect');

    const token = await sessionToken(page);
    await api(env, token, 'PATCH', `/api/projects/${projectId}`, {
      tiers: { pro: { requestLimit: 100, tokenLimit: null } },
      rules: [
        {
          id: 'warn',
          name: '80% warning',
          condition: { type: 'usage_percent', metric: 'requests', operator: 'gte', threshold: 80 },
          action: { type: 'custom_response', block: false, response: { message: '{{percent}}% used' } },
        },
        {
          id: 'free',
          name: 'Free or trial',
          condition: { type: 'composite', operator: 'or', conditions: [{ type: 'tier_match', value: 'free' }, { type: 'usage_absolute', metric: 'tokens', operator: 'gt', threshold: 5000 }] },
          action: { type: 'block', message: 'Upgrade' },
        },
      ],
    });
    for (const identity of ['ada', 'ada', 'ada', 'ada', 'grace', 'linus-with-a-rather-long-identity-name@example.com']) {
      await proxyChat(env, key, identity);
    }

    await page.goto(`${env.server.url}/projects/${projectId}`);
    await expect.poll(() => page.locator('#identities tbody tr').count()).toBe(3);
    await page.locator('#usage-chart .recharts-bar-rectangle').first().waitFor();
    await check('overview');
    await page.goto(`${env.server.url}/projects/${projectId}/rules`);
    await page.getByRole('listitem', { name: /^Rule 2:/ }).waitFor();
    await check('rules');
    await page.goto(`${env.server.url}/projects/${projectId}/settings`);
    await page.locator('#tiers').getByRole('textbox', { name: 'Tier name' }).waitFor();
    await check('settings');
    await page.goto(`${env.server.url}/projects`);
    await page.getByRole('list', { name: 'Projects', exact: true }).waitFor();
    await check('projects');
    await page.goto(`${env.server.url}/account`);
    await page.locator('.details').waitFor();
    await check('account');
  });

  it('navigates with the menu', async () => {
    await page.goto(`${env.server.url}/projects`);
    const sidebar = page.getByRole('complementary', { name: 'Sidebar' });
    expect(await sidebar.isVisible()).toBe(false);
    const menu = page.getByRole('button', { name: 'Open menu' });
    await menu.click();
    await expect.poll(() => sidebar.isVisible()).toBe(true);
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await screenshot(page, 'menu-phone');
    await sidebar.getByRole('link', { name: 'Phone app' }).click();
    await page.waitForURL(new RegExp(`/projects/${projectId}$`));
    await expect.poll(() => sidebar.isVisible()).toBe(false);
    // Keyboard: Enter opens the menu and focuses it, Escape closes it and returns the focus.
    await menu.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => sidebar.isVisible()).toBe(true);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('AI Ratelimit');
    await page.keyboard.press('Escape');
    await expect.poll(() => sidebar.isVisible()).toBe(false);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Open menu');
    // A tap beside the drawer closes it too.
    await menu.click();
    await expect.poll(() => sidebar.isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Close menu' }).click({ position: { x: 370, y: 400 } });
    await expect.poll(() => sidebar.isVisible()).toBe(false);
  });
});
