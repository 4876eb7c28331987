// Sign-up and sign-in paths that go wrong: every error lands on the field it is about, and
// an expired or used sign-in link offers a new one.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { newAccount, signUpAndSignIn, startEnv, type TestEnv } from '../support/app';
import { expectAccessible, newPage, screenshot, screenshotsOnFailure } from '../support/browser';

let env: TestEnv;
let page: Page;

beforeAll(async () => {
  env = await startEnv();
});

afterAll(async () => {
  await env?.stop();
});

beforeEach(async () => {
  page = (await newPage(env.browser)).page;
});

screenshotsOnFailure(() => page);

/** The error shown under a field (its accessible description starts with it). */
async function fieldError(page: Page, label: string): Promise<string | null> {
  const input = page.getByRole('textbox', { name: label });
  await expect.poll(() => input.getAttribute('aria-invalid')).toBe('true');
  const ids = ((await input.getAttribute('aria-describedby')) ?? '').split(' ');
  return page.locator(`[id="${ids[0]}"]`).textContent();
}

async function submitSignup(page: Page, organization: string, email: string) {
  await page.goto(`${env.server.url}/signup`);
  await page.getByLabel('Organization name').fill(organization);
  await page.getByLabel('Work e-mail').fill(email);
  await page.getByRole('button', { name: 'Create account' }).click();
}

describe('sign-up errors', () => {
  it('shows a bad e-mail on the e-mail field', async () => {
    await submitSignup(page, newAccount().organization, 'not-an-email');
    expect(await fieldError(page, 'Work e-mail')).toContain('valid e-mail');
    expect(await page.getByRole('textbox', { name: 'Organization name' }).getAttribute('aria-invalid')).toBeNull();
    await expectAccessible(page, 'sign-up with an error');
    await screenshot(page, 'signup-error-desktop');
  });

  it('shows reserved and taken organization names on the name field', async () => {
    await submitSignup(page, 'Admin', newAccount().email);
    expect(await fieldError(page, 'Organization name')).toContain('reserved');

    const first = newAccount('taken');
    await submitSignup(page, first.organization, first.email);
    await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
    // Names are unique case-insensitively.
    await submitSignup(page, first.organization.toUpperCase(), newAccount().email);
    expect(await fieldError(page, 'Organization name')).toContain('taken');

    await submitSignup(page, newAccount().organization, first.email);
    expect(await fieldError(page, 'Work e-mail')).toContain('already exists');
  });
});

describe('sign-in', () => {
  it('shows a bad e-mail on the field when asking for a link', async () => {
    await page.goto(`${env.server.url}/login`);
    await page.getByRole('textbox', { name: 'E-mail' }).fill('nobody@nowhere');
    await page.getByRole('button', { name: 'Send sign-in link' }).click();
    expect(await fieldError(page, 'E-mail')).toContain('valid e-mail');
  });

  it('sends a link to a registered address and signs in with it', async () => {
    const account = await signUpAndSignIn(page, env);
    const fresh = (await newPage(env.browser)).page;
    await fresh.goto(`${env.server.url}/login`);
    await fresh.getByRole('textbox', { name: 'E-mail' }).fill(account.email);
    const before = env.server.logs.length;
    await fresh.getByRole('button', { name: 'Send sign-in link' }).click();
    await fresh.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
    await fresh.goto(await env.server.magicLink(account.email, before));
    await fresh.waitForURL(/\/projects$/);
    await fresh.getByText(account.organization).first().waitFor();
  });

  it('signs in with the legacy password and refuses a wrong one', async () => {
    const account = newAccount('legacy');
    const created = await fetch(`${env.server.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: account.email, organizationName: account.organization, password: 'correct horse battery' }),
    });
    expect(created.status).toBe(201);
    await page.goto(`${env.server.url}/login`);
    await page.getByRole('radio', { name: 'Password' }).check();
    await page.getByRole('textbox', { name: 'E-mail' }).fill(account.email);
    await page.getByRole('textbox', { name: 'Password' }).fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong e-mail or password.' }).waitFor();
    await expectAccessible(page, 'password sign-in with an error');
    await screenshot(page, 'login-password-error-desktop');
    await page.getByRole('textbox', { name: 'Password' }).fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/projects$/);
    await page.getByText(account.email).first().waitFor();
  });

  it('explains a used link and sends a new one from the same page', async () => {
    const account = await signUpAndSignIn(page, env);
    // The link of the sign-up was used by signUpAndSignIn: using it again fails.
    const used = await env.server.magicLink(account.email);
    const other = (await newPage(env.browser)).page;
    await other.goto(used);
    await other.getByRole('heading', { name: 'This sign-in link has expired' }).waitFor();
    expect(other.url()).not.toContain('token=');
    await expectAccessible(other, 'expired link');
    await screenshot(other, 'verify-expired-desktop');
    await other.getByRole('textbox', { name: 'E-mail' }).fill(account.email);
    const before = env.server.logs.length;
    await other.getByRole('button', { name: 'Send a new link' }).click();
    await other.getByText('a new sign-in link is on its way').waitFor();
    await other.goto(await env.server.magicLink(account.email, before));
    await other.waitForURL(/\/projects$/);
  });

  it('treats a made-up token like an expired link', async () => {
    await page.goto(`${env.server.url}/auth/verify?token=made-up`);
    await page.getByRole('heading', { name: 'This sign-in link has expired' }).waitFor();
    await page.goto(`${env.server.url}/auth/verify`);
    await page.getByRole('heading', { name: 'This sign-in link has expired' }).waitFor();
  });

  it('sends a rejected session back to sign-in, then to the page it wanted', async () => {
    const account = await signUpAndSignIn(page, env);
    await page.evaluate(() => {
      const session = JSON.parse(localStorage.getItem('airl.session') ?? '{}') as { token: string };
      localStorage.setItem('airl.session', JSON.stringify({ ...session, token: `${session.token}x` }));
    });
    await page.goto(`${env.server.url}/account`);
    await page.waitForURL(/\/login$/);
    await page.getByText('Please sign in to continue.').waitFor();
    expect(await page.getByRole('textbox', { name: 'E-mail' }).inputValue()).toBe(account.email);
  });
});
