// The rule builder: every condition type built by clicking saves and loads back unchanged,
// rules written through the API load unchanged, and the server's validation errors appear
// on the rule and input they name.
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { api, sessionToken, signUpAndSignIn, startEnv, type TestEnv } from '../support/app';
import { expectAccessible, newPage, screenshot, screenshotsOnFailure } from '../support/browser';

let env: TestEnv;
let page: Page;
let token = '';

beforeAll(async () => {
  env = await startEnv();
  page = (await newPage(env.browser)).page;
  await signUpAndSignIn(page, env);
  token = await sessionToken(page);
});

afterAll(async () => {
  await env?.stop();
});

screenshotsOnFailure(() => page);

interface Project {
  id: string;
  rules: unknown[];
}

async function openBuilder(body: Record<string, unknown>): Promise<Project> {
  const project = await api<Project>(env, token, 'POST', '/api/projects', { dailyRequestLimit: 10, ...body });
  await page.goto(`${env.server.url}/projects/${project.id}/rules`);
  await page.getByRole('button', { name: 'Add rule' }).waitFor();
  return project;
}

const rule = (n: number): Locator => page.getByRole('listitem', { name: new RegExp(`^Rule ${n}:`) });
const preview = async () => JSON.parse((await page.getByTestId('rules-json').textContent()) ?? '[]') as unknown[];
const saveButton = () => page.getByRole('button', { name: 'Save rules' }).first();

async function save() {
  await saveButton().click();
  await page.getByText('Rules saved').first().waitFor();
}

/** The error shown for an input, by its accessible name. */
async function errorOf(label: string): Promise<string> {
  const input = page.getByLabel(label, { exact: true });
  await expect.poll(() => input.getAttribute('aria-invalid')).toBe('true');
  const id = ((await input.getAttribute('aria-describedby')) ?? '').split(' ')[0];
  return (await page.locator(`[id="${id}"]`).textContent()) ?? '';
}

describe('building rules', () => {
  it('builds each condition type and action; what it saves loads back unchanged', async () => {
    const project = await openBuilder({ name: 'Builder', tiers: { free: { requestLimit: 3, tokenLimit: null } } });
    const add = () => page.getByRole('button', { name: 'Add rule' }).click();

    // 1: absolute token usage → block with a message.
    await add();
    await rule(1).getByLabel('Name of rule 1').fill('Token cap');
    await page.getByLabel('Condition type, rule 1').selectOption('usage_absolute');
    await page.getByLabel('Metric, rule 1').selectOption('tokens');
    await page.getByLabel('Count, rule 1').fill('1000');
    await rule(1).getByRole('radio', { name: 'Block' }).check();
    await page.getByLabel('Message, rule 1').fill('Token cap reached');

    // 2: tier match on two tiers → allow.
    await add();
    await rule(2).getByLabel('Name of rule 2').fill('Trials pass');
    await page.getByLabel('Condition type, rule 2').selectOption('tier_match');
    await page.getByLabel('Tiers, rule 2').fill('trial');
    await rule(2).getByRole('button', { name: 'Add tier free to rule 2' }).click();
    await rule(2).getByRole('radio', { name: 'Allow' }).check();

    // 3: a group: (requests ≥ 80 %) OR (tier free AND requests > 10) → blocking custom response.
    await add();
    await rule(3).getByLabel('Name of rule 3').fill('Heavy free users');
    await page.getByLabel('Condition type, rule 3').selectOption('composite');
    await rule(3).getByRole('radio', { name: 'Any (OR)' }).check();
    await rule(3).getByRole('button', { name: '+ Group' }).click();
    await page.getByLabel('Condition type, rule 3.2.1').selectOption('tier_match');
    await page.getByLabel('Tiers, rule 3.2.1').fill('free');
    // The inner group's buttons come first.
    await rule(3).getByRole('button', { name: '+ Condition' }).first().click();
    await page.getByLabel('Condition type, rule 3.2.2').selectOption('usage_absolute');
    await page.getByLabel('Comparison, rule 3.2.2').selectOption('gt');
    await page.getByLabel('Count, rule 3.2.2').fill('10');
    await rule(3).getByRole('switch', { name: 'Blocks the request, rule 3' }).click();
    await page.getByLabel('HTTP status, rule 3').fill('402');
    await page.getByLabel('Message, rule 3').fill('Upgrade to keep going ({{used}}/{{limit}})');
    await page.getByLabel('Deep link, rule 3').fill('myapp://upgrade');

    // 4: percent of the token limit, disabled, then moved above rule 3.
    await add();
    await page.getByLabel('Metric, rule 4').selectOption('tokens');
    await page.getByLabel('Comparison, rule 4').selectOption('lt');
    await page.getByLabel('Percent of limit, rule 4').fill('12.5');
    await rule(4).getByRole('switch', { name: 'Enabled, rule 4' }).click();
    await page.getByRole('button', { name: 'Move rule 4 up' }).click();

    const built = await preview();
    expect(built).toEqual([
      {
        id: 'rule-1',
        name: 'Token cap',
        enabled: true,
        condition: { type: 'usage_absolute', metric: 'tokens', operator: 'gte', threshold: 1000 },
        action: { type: 'block', message: 'Token cap reached' },
      },
      {
        id: 'rule-2',
        name: 'Trials pass',
        enabled: true,
        condition: { type: 'tier_match', values: ['trial', 'free'] },
        action: { type: 'allow' },
      },
      {
        id: 'rule-4',
        name: '',
        enabled: false,
        condition: { type: 'usage_percent', metric: 'tokens', operator: 'lt', threshold: 12.5 },
        action: expect.objectContaining({ type: 'custom_response', status: 429, block: false }),
      },
      {
        id: 'rule-3',
        name: 'Heavy free users',
        enabled: true,
        condition: {
          type: 'composite',
          operator: 'or',
          conditions: [
            { type: 'usage_percent', metric: 'requests', operator: 'gte', threshold: 80 },
            {
              type: 'composite',
              operator: 'and',
              conditions: [
                { type: 'tier_match', value: 'free' },
                { type: 'usage_absolute', metric: 'requests', operator: 'gt', threshold: 10 },
              ],
            },
          ],
        },
        action: {
          type: 'custom_response',
          status: 402,
          block: true,
          response: { warning: 'limit_warning', message: 'Upgrade to keep going ({{used}}/{{limit}})', deepLink: 'myapp://upgrade' },
        },
      },
    ]);
    await expectAccessible(page, 'rule builder with nested groups');
    await screenshot(page, 'rules-built-desktop');
    await save();

    // The server stored exactly this, and the builder loads it back unchanged.
    expect((await api<Project>(env, token, 'GET', `/api/projects/${project.id}`)).rules).toEqual(built);
    await page.reload();
    await rule(4).waitFor();
    expect(await preview()).toEqual(built);
    expect(await saveButton().isDisabled()).toBe(true);
    expect(await page.getByLabel('Tiers, rule 2').inputValue()).toBe('trial, free');
    expect(await page.getByLabel('Count, rule 3.2.2', { exact: true }).count()).toBe(0);
    expect(await page.getByLabel('Count, rule 4.2.2').inputValue()).toBe('10');

    // Deleting a rule saves and loads back too.
    await page.getByRole('button', { name: 'Delete rule 2' }).click();
    await save();
    await page.reload();
    await rule(3).waitFor();
    expect(await rule(4).count()).toBe(0);
    expect(((await preview()) as { id: string }[]).map((r) => r.id)).toEqual(['rule-1', 'rule-4', 'rule-3']);
  });

  it('loads rules written through the API unchanged, eight levels deep', async () => {
    let deep: Record<string, unknown> = { type: 'tier_match', value: 'free' };
    for (let level = 1; level < 8; level++) deep = { type: 'composite', operator: level % 2 ? 'and' : 'or', conditions: [deep] };
    const rules = [
      { id: 'a', name: 'Warn', condition: { type: 'usage_percent', metric: 'requests', operator: 'gte', threshold: 90 }, action: { type: 'custom_response', response: { message: '{{percent}}%' }, block: false } },
      { id: 'b', name: 'Block teams', enabled: false, condition: { type: 'tier_match', values: ['team', 'org'] }, action: { type: 'block' } },
      { id: 'deep', name: 'Deep', condition: deep, action: { type: 'allow' } },
    ];
    const project = await openBuilder({ name: 'Loaded', rules });
    const stored = (await api<Project>(env, token, 'GET', `/api/projects/${project.id}`)).rules;
    await rule(3).waitFor();
    expect(await preview()).toEqual(stored);
    expect(await saveButton().isDisabled()).toBe(true);
    expect(await page.getByLabel('Condition type, rule 3.1.1.1.1.1.1.1').inputValue()).toBe('tier_match');
    // Seven groups: each may take a condition, but a group at level 7 may not take another
    // group (its condition would be at level 9).
    expect(await rule(3).getByRole('button', { name: '+ Condition' }).count()).toBe(7);
    expect(await rule(3).getByRole('button', { name: '+ Group' }).count()).toBe(6);
    expect(await page.getByLabel('Condition type, rule 3.1.1.1.1.1.1', { exact: true }).locator('option[value="composite"]').isDisabled()).toBe(false);
    expect(await page.getByLabel('Condition type, rule 3.1.1.1.1.1.1.1', { exact: true }).locator('option[value="composite"]').isDisabled()).toBe(true);
    await screenshot(page, 'rules-loaded-desktop');
  });
});

describe('validation errors', () => {
  it('shows the server’s errors on the rule and input they name, nested ones included', async () => {
    await openBuilder({
      name: 'Errors',
      rules: [
        { id: 'ok', condition: { type: 'tier_match', value: 'free' }, action: { type: 'allow' } },
        { id: 'warn', condition: { type: 'usage_percent', metric: 'requests', operator: 'gte', threshold: 80 }, action: { type: 'block' } },
      ],
    });
    // A missing threshold.
    await page.getByLabel('Percent of limit, rule 2').fill('');
    await saveButton().click();
    await page.getByRole('alert').filter({ hasText: 'Rule 2 needs a fix. The threshold: is required.' }).waitFor();
    expect(await errorOf('Percent of limit, rule 2')).toBe('Is required.');
    expect(await rule(2).getAttribute('class')).toContain('rule-invalid');
    expect(await rule(1).getAttribute('class')).not.toContain('rule-invalid');
    await expectAccessible(page, 'rule builder with an error');
    await screenshot(page, 'rules-error-desktop');
    await page.getByLabel('Percent of limit, rule 2').fill('80');

    // A missing threshold two levels down, after the rule moved: the error follows the rule.
    await page.getByLabel('Condition type, rule 1').selectOption('composite');
    await rule(1).getByRole('button', { name: '+ Group' }).click();
    await page.getByLabel('Percent of limit, rule 1.2.1').fill('');
    await saveButton().click();
    await page.getByRole('alert').filter({ hasText: 'Rule 1 needs a fix' }).waitFor();
    expect(await errorOf('Percent of limit, rule 1.2.1')).toBe('Is required.');
    await page.getByRole('button', { name: 'Move rule 1 down' }).click();
    expect(await errorOf('Percent of limit, rule 2.2.1')).toBe('Is required.');
    await page.getByLabel('Percent of limit, rule 2.2.1').fill('50');

    // Empty tiers, a bad status, then a response that is not JSON (refused before sending).
    await page.getByLabel('Condition type, rule 1').selectOption('tier_match');
    await page.getByLabel('Tiers, rule 1').fill('');
    await saveButton().click();
    expect(await errorOf('Tiers, rule 1')).toBe('Must not be empty.');
    await page.getByLabel('Tiers, rule 1').fill('free');
    await rule(1).getByRole('radio', { name: 'Custom response' }).check();
    await page.getByLabel('HTTP status, rule 1').fill('99');
    await saveButton().click();
    expect(await errorOf('HTTP status, rule 1')).toBe('Must be an HTTP status from 200 to 599.');
    await page.getByLabel('HTTP status, rule 1').fill('429');
    await page.getByLabel('Response JSON, rule 1').fill('{"message": ');
    await saveButton().click();
    expect(await errorOf('Response JSON, rule 1')).toContain('Not valid JSON');
    await page.getByRole('alert').filter({ hasText: 'A custom response is not valid JSON' }).waitFor();
    await page.getByLabel('Response JSON, rule 1').fill('{"message": "fixed"}');
    await save();
    expect(await preview()).toHaveLength(2);
  });
});
