// Everything a browser test needs: a mock upstream, the server, Chromium, and helpers that
// go through the app as a person would (sign up, follow the link, create a project) or call
// the API directly where the test is about something else.
import type { Browser, Page } from 'playwright-core';

import { launchBrowser, type TestBrowser } from './browser';
import { type RunningServer, startServer } from './server';
import { type MockUpstream, startUpstream } from './upstream';

export interface TestEnv {
  server: RunningServer;
  upstream: MockUpstream;
  browser: Browser;
  stop(): Promise<void>;
}

export async function startEnv(): Promise<TestEnv> {
  const upstream = await startUpstream();
  const server = await startServer({ openaiUrl: upstream.url });
  let chromium: TestBrowser;
  try {
    chromium = await launchBrowser();
  } catch (e) {
    await server.stop();
    await upstream.close();
    throw e;
  }
  return {
    server,
    upstream,
    browser: chromium.browser,
    stop: async () => {
      await chromium.close();
      await server.stop();
      await upstream.close();
    },
  };
}

let counter = 0;
/** A unique organization and e-mail for one test. */
export function newAccount(prefix = 'acme') {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}`;
  return { organization: `${prefix} ${tag}`, email: `${prefix}-${tag}@example.com` };
}

/** Signs up through the page and follows the link the server logs; ends on the projects page. */
export async function signUpAndSignIn(page: Page, env: TestEnv, account = newAccount()): Promise<typeof account> {
  await page.goto(`${env.server.url}/signup`);
  await page.getByLabel('Organization name').fill(account.organization);
  await page.getByLabel('Work e-mail').fill(account.email);
  const logged = env.server.logs.length;
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your e-mail' }).waitFor();
  const link = await env.server.magicLink(account.email, logged);
  await page.goto(link);
  await page.waitForURL(`${env.server.url}/projects`);
  return account;
}

/** The session's JWT, for API calls made by the test itself. */
export async function sessionToken(page: Page): Promise<string> {
  const raw = await page.evaluate(() => localStorage.getItem('airl.session'));
  return (JSON.parse(raw ?? '{}') as { token: string }).token;
}

export async function api<T = unknown>(env: TestEnv, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${env.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface ProxyAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** One chat completion through the limiting proxy. */
export async function proxyChat(env: TestEnv, projectKey: string, identity: string, extra: Record<string, unknown> = {}): Promise<ProxyAnswer> {
  const response = await fetch(`${env.server.url}/api/v1/proxy/chat`, {
    method: 'POST',
    headers: { 'x-project-key': projectKey, 'content-type': 'application/json' },
    body: JSON.stringify({ identity, model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hi' }], ...extra }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}
