// Projects beyond the first walk: form errors on their fields, settings (limits, tiers, the
// limit-exceeded response), signed identities, key rotation, paging through users, deletion.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { api, proxyChat, sessionToken, signUpAndSignIn, startEnv, type TestEnv } from '../support/app';
import { expectAccessible, newPage, screenshot, screenshotsOnFailure } from '../support/browser';

let env: TestEnv;
let page: Page;
let token = '';

interface ProjectJson {
  id: string;
  name: string;
  projectKey: string;
  tiers: Record<string, { requestLimit: number | null; tokenLimit: number | null }>;
  limitExceededResponse: unknown;
  limitType: string;
  window?: string;
  dailyRequestLimit: number | null;
  dailyTokenLimit: number | null;
}

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

async function errorOf(label: string | RegExp, role: 'textbox' | 'spinbutton' = 'textbox'): Promise<string> {
  const input = page.getByRole(role, { name: label, exact: true });
  await expect.poll(() => input.getAttribute('aria-invalid')).toBe('true');
  const id = ((await input.getAttribute('aria-describedby')) ?? '').split(' ')[0];
  return (await page.locator(`[id="${id}"]`).textContent()) ?? '';
}

async function createProject(body: Record<string, unknown>): Promise<ProjectJson> {
  return api<ProjectJson>(env, token, 'POST', '/api/projects', body);
}

describe('creating a project', () => {
  it('shows missing values and the server’s errors on their fields', async () => {
    await page.goto(`${env.server.url}/projects/new`);
    await page.getByRole('spinbutton', { name: 'Request limit' }).fill('');
    await page.getByRole('button', { name: 'Create project' }).click();
    expect(await errorOf('Name')).toBe('Give the project a name');
    expect(await errorOf('Request limit', 'spinbutton')).toBe('Enter a limit, or choose unlimited');

    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Errors');
    await page.getByRole('checkbox', { name: 'Unlimited request limit' }).check();
    await page.getByRole('textbox', { name: /^Base URL/ }).fill('ftp://example.com/chat');
    await page.getByRole('button', { name: 'Create project' }).click();
    expect(await errorOf(/^Base URL/)).toContain('Enter a full http:// or https:// URL');
    await expectAccessible(page, 'new project with errors');
    await screenshot(page, 'new-project-errors-desktop');

    await page.getByRole('textbox', { name: /^Base URL/ }).fill('');
    await page.getByRole('radio', { name: /Anthropic/ }).check();
    await page.getByRole('radio', { name: /Both/ }).check();
    await page.getByRole('checkbox', { name: 'Unlimited token limit' }).uncheck();
    await page.getByRole('spinbutton', { name: 'Token limit' }).fill('50000');
    await page.getByLabel('Window').selectOption('hour');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/connect$/);
    const id = page.url().split('/').at(-2) ?? '';
    const project = await api<ProjectJson & { provider: string }>(env, token, 'GET', `/api/projects/${id}`);
    expect(project).toMatchObject({ name: 'Errors', provider: 'anthropic', limitType: 'both', window: 'hour', dailyRequestLimit: null, dailyTokenLimit: 50000 });
    await page.getByText('Unlimited requests and 50k tokens per user per hour').waitFor();
  });

  it('creates an Azure OpenAI project with its resource endpoint', async () => {
    await page.goto(`${env.server.url}/projects/new`);
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Azure app');
    await page.getByRole('radio', { name: /Azure OpenAI/ }).check();
    // Azure has no public default endpoint, so the field is no longer marked optional.
    await expect.poll(() => page.getByText('(optional)').count()).toBe(0);
    await page.getByRole('textbox', { name: /^Base URL/ }).fill('https://my-resource.openai.azure.com');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForURL(/\/connect$/);
    const id = page.url().split('/').at(-2) ?? '';
    const project = await api<ProjectJson & { provider: string; baseUrl: string }>(env, token, 'GET', `/api/projects/${id}`);
    expect(project).toMatchObject({ name: 'Azure app', provider: 'azure', baseUrl: 'https://my-resource.openai.azure.com' });
  });
});

describe('settings', () => {
  it('saves limits and checks them first', async () => {
    const p = await createProject({ name: 'Limits', dailyRequestLimit: 10 });
    await page.goto(`${env.server.url}/projects/${p.id}/settings`);
    const limits = page.locator('#limits');
    await limits.getByRole('spinbutton', { name: 'Request limit' }).fill('-3');
    await limits.getByRole('button', { name: 'Save changes' }).click();
    expect(await errorOf('Request limit', 'spinbutton')).toBe('Must be a whole number, 0 or more');
    await limits.getByRole('spinbutton', { name: 'Request limit' }).fill('25');
    await limits.getByLabel('Window').selectOption('week');
    await limits.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Limits saved').first().waitFor();
    expect(await api<ProjectJson>(env, token, 'GET', `/api/projects/${p.id}`)).toMatchObject({ dailyRequestLimit: 25, window: 'week' });
    await page.getByText('25 requests per user per week').waitFor();
  });

  it('edits tiers: add, rename, remove, unlimited, and refuses duplicate names', async () => {
    const p = await createProject({
      name: 'Tiers',
      dailyRequestLimit: 5,
      tiers: { free: { requestLimit: 5, tokenLimit: null }, team: { requestLimit: 50, tokenLimit: null } },
    });
    await page.goto(`${env.server.url}/projects/${p.id}/settings`);
    const tiers = page.locator('#tiers');
    await tiers.getByRole('textbox', { name: 'Tier name' }).first().waitFor();
    expect(await tiers.getByRole('textbox', { name: 'Tier name' }).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(['free', 'team']);

    await tiers.getByRole('button', { name: 'Add tier' }).click();
    await tiers.getByRole('textbox', { name: 'Tier name' }).nth(2).fill('free');
    await tiers.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => tiers.getByText('Another tier has this name').count()).toBe(1);

    await tiers.getByRole('textbox', { name: 'Tier name' }).nth(2).fill('enterprise');
    await tiers.getByRole('checkbox', { name: 'Unlimited requests (enterprise)' }).check();
    await tiers.getByRole('textbox', { name: 'Tier name' }).nth(1).fill('business');
    await tiers.getByRole('button', { name: 'Remove tier free' }).click();
    await expectAccessible(page, 'tiers editor');
    await tiers.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Tiers saved').first().waitFor();
    expect((await api<ProjectJson>(env, token, 'GET', `/api/projects/${p.id}`)).tiers).toEqual({
      business: { requestLimit: 50, tokenLimit: null },
      enterprise: { requestLimit: null, tokenLimit: null },
    });
    // The editor reloads what was saved.
    await expect.poll(() => tiers.getByRole('textbox', { name: 'Tier name' }).evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(['business', 'enterprise']);
  });

  it('validates the limit-exceeded response as JSON and previews it filled in', async () => {
    const p = await createProject({ name: 'Response', dailyRequestLimit: 3 });
    await page.goto(`${env.server.url}/projects/${p.id}/settings`);
    const card = page.locator('#response');
    const editor = card.getByRole('textbox', { name: 'Response JSON' });
    await editor.fill('{"message": "oops",');
    expect(await errorOf('Response JSON')).toContain('Not valid JSON');
    await editor.fill('["a list"]');
    expect(await errorOf('Response JSON')).toContain('Must be a JSON object');
    await expect.poll(() => card.getByRole('button', { name: 'Save changes' }).isEnabled()).toBe(true);

    await editor.fill(JSON.stringify({ error: 'limit_exceeded', message: 'You used {{used}} of {{limit}} ({{percent}}%), {{remaining}} left', deepLink: 'myapp://upgrade' }));
    const preview = JSON.parse((await card.getByTestId('response-preview').textContent()) ?? '{}') as Record<string, string>;
    expect(preview).toEqual({ error: 'limit_exceeded', message: 'You used 3 of 3 (100%), 0 left', deepLink: 'myapp://upgrade' });
    await card.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Limit-exceeded response saved').first().waitFor();

    // The server answers a denial with the same body the preview showed.
    for (let i = 0; i < 3; i++) expect((await proxyChat(env, p.projectKey, 'ada')).status).toBe(200);
    const denied = await proxyChat(env, p.projectKey, 'ada');
    expect(denied.status).toBe(429);
    expect(denied.body).toEqual(preview);

    await editor.fill('');
    await expect.poll(() => card.getByTestId('response-preview').textContent()).toContain('"Daily limit reached"');
    await card.getByRole('button', { name: 'Save changes' }).click();
    // (The first save's toast may still show: wait for the stored value itself.)
    await expect.poll(async () => (await api<ProjectJson>(env, token, 'GET', `/api/projects/${p.id}`)).limitExceededResponse).toBeNull();
  });
});

describe('signed identities', () => {
  it('creates the identity secret once, rotates it, and requires signed calls', async () => {
    const p = await createProject({ name: 'Signed', dailyRequestLimit: 10 });
    await page.goto(`${env.server.url}/projects/${p.id}/settings`);
    const card = page.locator('#signed-identities');
    await card.getByRole('button', { name: 'Create identity secret' }).click();
    const secret = page.getByTestId('identity-secret');
    await expect.poll(async () => ((await secret.textContent()) ?? '').length).toBeGreaterThanOrEqual(43);
    const first = (await secret.textContent()) ?? '';
    await card.getByRole('button', { name: 'Rotate identity secret' }).click();
    await expect.poll(() => secret.textContent()).not.toBe(first);
    await card.getByText(/The previous secret works until/).waitFor();
    await expectAccessible(page, 'signed identities card');

    expect((await proxyChat(env, p.projectKey, 'u')).status).toBe(200);
    await card.getByRole('switch', { name: 'Require signed identities' }).click();
    await page.getByText('Signed identities required').first().waitFor();
    const unsigned = await proxyChat(env, p.projectKey, 'u');
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.error).toBe('invalid_identity_token');
    const shown = await api<{ requireSignedIdentity: boolean; hasIdentitySecret?: boolean }>(env, token, 'GET', `/api/projects/${p.id}`);
    expect(shown.requireSignedIdentity).toBe(true);
    expect(shown.hasIdentitySecret).toBe(true);
    expect(JSON.stringify(shown)).not.toContain(first);
  });
});

describe('the project key', () => {
  it('rotates behind a confirmation; the old key then gets 401', async () => {
    const p = await createProject({ name: 'Rotation', dailyRequestLimit: 10 });
    expect((await proxyChat(env, p.projectKey, 'u')).status).toBe(200);
    await page.goto(`${env.server.url}/projects/${p.id}/connect`);
    await page.getByRole('button', { name: 'Rotate key…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the project key?' });
    await dialog.waitFor();
    await expectAccessible(page, 'rotate dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.getByTestId('project-key').textContent()).toBe(p.projectKey);

    await page.getByRole('button', { name: 'Rotate key…' }).click();
    await dialog.getByRole('button', { name: 'Rotate key' }).click();
    await page.getByText('New project key issued').first().waitFor();
    await expect.poll(() => page.getByTestId('project-key').textContent()).not.toBe(p.projectKey);
    const rotated = (await page.getByTestId('project-key').textContent()) ?? '';
    expect(await page.getByTestId('snippet-curl').textContent()).toContain(rotated);

    const old = await proxyChat(env, p.projectKey, 'u');
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_project_key');
    expect((await proxyChat(env, rotated, 'u')).status).toBe(200);
  });

  it('copies the key', async () => {
    const p = await createProject({ name: 'Copy', dailyRequestLimit: 1 });
    const context = page.context();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.server.url });
    await page.goto(`${env.server.url}/projects/${p.id}/connect`);
    await page.getByRole('button', { name: 'Copy project key' }).click();
    await page.getByRole('button', { name: 'project key copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(p.projectKey);
  });
});

describe('users of a project', () => {
  it('pages through identities with the cursor', async () => {
    const p = await createProject({ name: 'Busy', dailyRequestLimit: 100 });
    // 27 users; user-00 sends the most, so it leads the first page.
    await Promise.all(Array.from({ length: 27 }, (_, i) => proxyChat(env, p.projectKey, `user-${String(i).padStart(2, '0')}`)));
    expect((await proxyChat(env, p.projectKey, 'user-00')).status).toBe(200);
    await page.goto(`${env.server.url}/projects/${p.id}`);
    const table = page.locator('#identities');
    const rows = table.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(25);
    expect(await rows.first().locator('td').first().textContent()).toBe('user-00');
    expect(await table.getByText('Page 1', { exact: true }).count()).toBe(1);
    await table.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => rows.count()).toBe(2);
    await table.getByText('Page 2', { exact: true }).waitFor();
    expect(await table.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    const second = await rows.locator('td:first-child').allTextContents();
    await table.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => rows.count()).toBe(25);
    const first = await rows.locator('td:first-child').allTextContents();
    expect(new Set([...first, ...second]).size).toBe(27);
    await screenshot(page, 'overview-users-desktop');
  });
});

describe('deleting a project', () => {
  it('asks for the typed name', async () => {
    const p = await createProject({ name: 'Doomed app' });
    await page.goto(`${env.server.url}/projects/${p.id}/settings`);
    await page.getByRole('button', { name: 'Delete project…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete "Doomed app"?' });
    const confirm = dialog.getByRole('button', { name: 'Delete forever' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByRole('textbox', { name: 'Type Doomed app to confirm' }).fill('doomed app');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByRole('textbox', { name: 'Type Doomed app to confirm' }).fill('Doomed app');
    await expectAccessible(page, 'delete dialog');
    await screenshot(page, 'delete-dialog-desktop');
    await confirm.click();
    await page.waitForURL(/\/projects$/);
    await page.getByText('Project "Doomed app" deleted').first().waitFor();
    expect(await page.getByRole('link', { name: 'Doomed app' }).count()).toBe(0);
    expect((await proxyChat(env, p.projectKey, 'u')).status).toBe(401);
    await page.goto(`${env.server.url}/projects/${p.id}`);
    await page.getByRole('heading', { name: 'Project not found' }).waitFor();
  });

  it('lists the remaining projects with their numbers', async () => {
    await page.goto(`${env.server.url}/projects`);
    const list = page.getByRole('list', { name: 'Projects', exact: true });
    await list.waitFor();
    expect(await list.getByRole('link', { name: 'Busy' }).count()).toBe(1);
    // Each card shows its project's numbers of the period.
    const busy = list.getByRole('listitem').filter({ has: page.getByRole('link', { name: 'Busy' }) });
    await expect.poll(() => busy.locator('dd').allTextContents()).toEqual(['28', '1.2k', '27', '0']);
    await expectAccessible(page, 'projects list');
    await screenshot(page, 'projects-desktop');
  });
});
