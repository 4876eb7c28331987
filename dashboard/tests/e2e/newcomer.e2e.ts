// A newcomer's first session: sign up, follow the sign-in link from the server's log, create
// a project limited to 2 requests, add a `pro` tier and an 80% warning rule, send traffic
// until a request is denied, and see it in the numbers, the chart and the users table.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { newAccount, proxyChat, startEnv, type TestEnv } from '../support/app';
import { DESKTOP, expectAccessible, newPage, screenshot, screenshotsOnFailure } from '../support/browser';
import { MOCK_USAGE } from '../support/upstream';

let env: TestEnv;
let page: Page;

beforeAll(async () => {
  env = await startEnv();
  page = (await newPage(env.browser, DESKTOP)).page;
});

afterAll(async () => {
  await env?.stop();
});

screenshotsOnFailure(() => page);

describe('a newcomer', () => {
  const account = newAccount('newcomer');
  let projectKey = '';

  it('signs up and follows the sign-in link from the log', async () => {
    await page.goto(`${env.server.url}/`);
    await page.waitForURL(/\/login$/);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await expect.poll(() => page.title()).toBe('Sign up · AI Ratelimit');
    await expectAccessible(page, 'sign-up');
    await screenshot(page, 'signup-desktop');

    await page.getByLabel('Organization name').fill(account.organization);
    await page.getByLabel('Work e-mail').fill(account.email);
    const before = env.server.logs.length;
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
    await expectAccessible(page, 'check your e-mail');
    await screenshot(page, 'check-inbox-desktop');

    const link = await env.server.magicLink(account.email, before);
    expect(link).toContain(`${env.server.url}/auth/verify?token=`);
    await page.goto(link);
    await page.waitForURL(`${env.server.url}/projects`);
    // The token left the address bar; the session is the signed-in organization's.
    expect(page.url()).not.toContain('token=');
    await page.getByRole('heading', { name: 'Create your first project' }).waitFor();
    await expect.poll(() => page.getByRole('complementary', { name: 'Sidebar' }).textContent()).toContain(account.organization);
    await expectAccessible(page, 'empty projects list');
    await screenshot(page, 'projects-empty-desktop');
  });

  it('creates a project limited to 2 requests per day', async () => {
    await page.getByRole('link', { name: 'New project' }).first().click();
    await page.getByLabel('Name', { exact: true }).fill('Chat app');
    await page.getByLabel('Provider API key').fill('sk-test-1234567890abcd');
    await page.getByRole('radio', { name: /Requests/ }).check();
    await page.getByRole('spinbutton', { name: 'Request limit' }).fill('2');
    await expectAccessible(page, 'new project');
    await screenshot(page, 'new-project-desktop');
    await page.getByRole('button', { name: 'Create project' }).click();

    await page.waitForURL(/\/projects\/[0-9a-f-]+\/connect$/);
    await page.getByRole('heading', { name: 'Chat app' }).waitFor();
    await expect.poll(() => page.getByText('2 requests per user per day', { exact: true }).count()).toBe(1);
    projectKey = (await page.getByTestId('project-key').textContent()) ?? '';
    expect(projectKey).toMatch(/^pk_[0-9A-Za-z]{20,}$/);
    // The snippets carry this server and this key.
    const curl = (await page.getByTestId('snippet-curl').textContent()) ?? '';
    expect(curl).toContain(`${env.server.url}/api/v1/proxy/chat`);
    expect(curl).toContain(projectKey);
    await page.getByRole('tab', { name: 'OpenAI SDK (Node)' }).click();
    const openai = (await page.getByTestId('snippet-openai-node').textContent()) ?? '';
    expect(openai).toContain(`baseURL: '${env.server.url}/api/v1/openai'`);
    expect(openai).toContain(`apiKey: '${projectKey}'`);
    await page.getByRole('tab', { name: 'JS SDK' }).click();
    const sdk = (await page.getByTestId('snippet-sdk').textContent()) ?? '';
    expect(sdk).toContain(`baseUrl: '${env.server.url}/api'`);
    expect(sdk).toContain('client.chat({');
    await expectAccessible(page, 'connect');
    await screenshot(page, 'connect-desktop');
  });

  it('adds a pro tier', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(/\/settings$/);
    const tiers = page.locator('#tiers');
    await tiers.getByRole('heading', { name: 'No tiers' }).waitFor();
    await tiers.getByRole('button', { name: 'Add tier' }).click();
    await tiers.getByLabel('Tier name').fill('pro');
    await tiers.getByRole('spinbutton', { name: 'Requests (pro)' }).fill('100');
    await tiers.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Tiers saved').first().waitFor();
    await expect.poll(() => tiers.getByRole('button', { name: 'Save changes' }).isDisabled()).toBe(true);
    await expectAccessible(page, 'settings');
    await screenshot(page, 'settings-desktop');
  });

  it('adds an 80% warning rule in the builder', async () => {
    await page.getByRole('link', { name: 'Rules' }).click();
    await page.waitForURL(/\/rules$/);
    await page.getByRole('heading', { name: 'No rules yet' }).waitFor();
    await page.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.getByRole('listitem', { name: /^Rule 1/ });
    await rule.getByLabel('Name of rule 1').fill('80% warning');
    // The defaults are the warning: requests ≥ 80 % → custom response that does not block.
    await expect.poll(() => rule.getByLabel('Condition type, rule 1').inputValue()).toBe('usage_percent');
    await expect.poll(() => rule.getByLabel('Percent of limit, rule 1').inputValue()).toBe('80');
    await expect.poll(() => rule.getByRole('switch', { name: 'Blocks the request, rule 1' }).getAttribute('aria-checked')).toBe('false');
    await rule.getByLabel('Message, rule 1').fill('{{percent}}% of your free requests used');
    const preview = JSON.parse((await page.getByTestId('rules-json').textContent()) ?? '[]') as unknown[];
    expect(preview).toEqual([
      {
        id: 'rule-1',
        name: '80% warning',
        enabled: true,
        condition: { type: 'usage_percent', metric: 'requests', operator: 'gte', threshold: 80 },
        action: {
          type: 'custom_response',
          response: { warning: 'limit_warning', message: '{{percent}}% of your free requests used' },
          status: 429,
          block: false,
        },
      },
    ]);
    await expectAccessible(page, 'rule builder');
    await page.getByRole('button', { name: 'Save rules' }).first().click();
    await page.getByText('Rules saved').first().waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Save rules' }).first().isDisabled()).toBe(true);
    expect(JSON.parse((await page.getByTestId('rules-json').textContent()) ?? '[]')).toEqual(preview);
    await screenshot(page, 'rules-desktop');
  });

  it('sends traffic until a request is denied, and sees it on the overview', async () => {
    const first = await proxyChat(env, projectKey, 'user-1');
    const second = await proxyChat(env, projectKey, 'user-1');
    const third = await proxyChat(env, projectKey, 'user-1');
    expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
    expect(third.body.error).toBe('limit_exceeded');
    expect((await proxyChat(env, projectKey, 'user-2', { tier: 'pro' })).status).toBe(200);
    // An upstream failure is released: counted as an error, not as usage.
    expect((await proxyChat(env, projectKey, 'user-2', { tier: 'pro', model: 'fail' })).status).toBe(502);

    await page.getByRole('link', { name: 'Overview' }).click();
    await page.waitForURL(/\/projects\/[0-9a-f-]+$/);
    const stat = (name: string) => page.locator(`.stat:has(dt:text-is("${name}")) dd`).first().textContent();
    // The request log is written in batches: poll until the numbers arrive.
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.locator('.stat dd .tabular').first().waitFor();
          return [await stat('Requests'), await stat('Tokens'), await stat('Users'), await stat('Limited'), await stat('Errors')];
        },
        { timeout: 20_000, interval: 500 },
      )
      .toEqual(['3', String(3 * MOCK_USAGE.total_tokens), '2', '1', '1']);

    // Times are the viewer's (the browser runs in Europe/Berlin), with UTC in the tooltip.
    const reset = page.locator('#main time').first();
    const iso = (await reset.getAttribute('datetime')) ?? '';
    expect(iso).toMatch(/T00:00:00Z$/);
    const berlin = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
    expect(await reset.textContent()).toContain(berlin);
    expect(await reset.getAttribute('title')).toBe(`${iso.slice(0, 10)} 00:00 UTC`);

    // The chart: today's bar, and its numbers in the table behind it.
    const chart = page.locator('#usage-chart');
    await chart.locator('.recharts-bar-rectangle').first().waitFor();
    const today = chart.locator('table tbody tr').last();
    expect(await today.locator('td').allTextContents()).toEqual(['3', String(3 * MOCK_USAGE.total_tokens), '1']);
    for (const interval of ['Week', 'Month', 'Day']) {
      await chart.getByRole('radio', { name: interval }).check();
      await expect.poll(() => chart.locator('table tbody tr').last().locator('td').first().textContent()).toBe('3');
    }

    // The users table: most requests first, with tiers and limits.
    const rows = page.locator('#identities tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toMatch(/user-1.*2\s*\/ 2/);
    expect(await rows.nth(1).textContent()).toMatch(/user-2\s*pro\s*1\s*\/ 100/);
    await expectAccessible(page, 'overview');
    await screenshot(page, 'overview-desktop');
  });

  it('shows the signed-in user and organization, and signs out', async () => {
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByText(account.email).first().waitFor();
    expect(await page.locator('.details').textContent()).toContain(account.organization);
    await expectAccessible(page, 'account');
    await screenshot(page, 'account-desktop');
    await page.locator('#account').getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login$/);
    await page.getByText('You are signed out.').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('airl.session'))).toBeNull();
    await page.goto(`${env.server.url}/projects`);
    await page.waitForURL(/\/login$/);
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'login-desktop');
  });
});
