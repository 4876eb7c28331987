// The ESM build in Debian's Chromium, on a page of another origin than the server (allowed by
// CORS_ORIGIN): streaming, the exposed rate-limit and warning headers, a denial with its deep
// link and Retry-After, cancellation reaching the upstream, and a refused origin.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startServer } from '../harness/server.mjs';
import { CONTENT, startUpstream } from '../harness/upstream.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ESM_BUILD = join(import.meta.dirname, '../../dist/index.js');
const PAGE = '<!doctype html><title>sdk</title><script type="module">import * as sdk from "/sdk.js"; window.sdk = sdk; window.ready = true;</script>';

/** A static server of the test page and the SDK's ESM build, on its own port (= its own origin). */
async function startPageServer() {
  const server = createServer((req, res) => {
    if (req.url === '/sdk.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(readFileSync(ESM_BUILD));
    }
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(PAGE);
    }
    res.writeHead(404).end();
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { origin: `http://127.0.0.1:${server.address().port}`, stop: () => new Promise((ok) => server.close(ok)) };
}

let upstream, allowed, refused, server, browser;
before(async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  upstream = await startUpstream();
  allowed = await startPageServer();
  refused = await startPageServer();
  server = await startServer({ upstream, env: { CORS_ORIGIN: allowed.origin } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await allowed?.stop();
  await refused?.stop();
  await upstream?.stop();
});

/** A page of `site` with the SDK loaded as `window.sdk`. */
async function pageAt(site) {
  const page = await browser.newPage();
  await page.goto(site.origin);
  await page.waitForFunction(() => window.ready === true);
  return page;
}

test('a page of another origin streams a reply and reads the rate-limit headers', async () => {
  const { projectKey } = await server.createProject({ limitType: 'both', dailyRequestLimit: 5, dailyTokenLimit: 10_000 });
  const page = await pageAt(allowed);
  const result = await page.evaluate(
    async ({ api, key }) => {
      const client = window.sdk.createClient({ baseUrl: api, projectKey: key });
      const stream = client.chatStream({ identity: 'browser-user', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
      const parts = [];
      for await (const text of stream) parts.push(text);
      return { parts, usage: stream.usage, requests: stream.rateLimit.requests, tokens: stream.rateLimit.tokens, origin: location.origin };
    },
    { api: server.api, key: projectKey },
  );
  assert.equal(result.origin, allowed.origin);
  assert.notEqual(new URL(server.api).origin, allowed.origin);
  assert.equal(result.parts.join(''), CONTENT);
  assert.ok(result.parts.length > 1, 'the reply arrived in chunks');
  assert.deepEqual(result.usage, { promptTokens: 11, completionTokens: 4, totalTokens: 15 });
  assert.equal(result.requests.limit, 5);
  assert.equal(result.requests.remaining, 4);
  assert.equal(result.requests.window, 86400);
  assert.equal(result.tokens.limit, 10_000);
  await page.close();
});

test('in the browser: a warning, then a denial with its deep link and Retry-After', async () => {
  const { projectKey } = await server.createProject({
    dailyRequestLimit: 2,
    limitExceededResponse: { error: 'limit_exceeded', message: 'Upgrade for more', deepLink: 'myapp://upgrade' },
    rules: [
      {
        id: 'last',
        name: 'last one',
        enabled: true,
        condition: { type: 'usage_absolute', metric: 'requests', operator: 'eq', threshold: 1 },
        action: { type: 'custom_response', block: false, response: { message: 'Last free request today' } },
      },
    ],
  });
  const page = await pageAt(allowed);
  const result = await page.evaluate(
    async ({ api, key }) => {
      const { createClient, LimitExceededError } = window.sdk;
      const client = createClient({ baseUrl: api, projectKey: key });
      const ask = () => client.chat({ identity: 'browser-user', model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
      const first = await ask();
      const second = await ask();
      const denied = await ask().catch((e) => e);
      return {
        content: first.content,
        warnings: [first.warning, second.warning],
        isLimit: denied instanceof LimitExceededError,
        status: denied.status,
        response: denied.response,
        retryAfter: denied.retryAfter,
        remaining: denied.rateLimit.requests?.remaining,
      };
    },
    { api: server.api, key: projectKey },
  );
  assert.equal(result.content, CONTENT);
  assert.deepEqual(result.warnings, [undefined, { message: 'Last free request today' }]);
  assert.equal(result.isLimit, true);
  assert.equal(result.status, 429);
  assert.deepEqual(result.response, { error: 'limit_exceeded', message: 'Upgrade for more', deepLink: 'myapp://upgrade' });
  assert.ok(result.retryAfter > 0, 'Retry-After is exposed to the page');
  assert.equal(result.remaining, 0);
  await page.close();
});

test('aborting in the browser stops the upstream request', async () => {
  const { projectKey } = await server.createProject({ dailyRequestLimit: 5 });
  const page = await pageAt(allowed);
  const error = await page.evaluate(
    async ({ api, key }) => {
      const client = window.sdk.createClient({ baseUrl: api, projectKey: key });
      const controller = new AbortController();
      let n = 0;
      try {
        for await (const _ of client.chatStream({ identity: 'b', model: 'mock-endless', messages: [], signal: controller.signal })) {
          if (++n === 3) controller.abort();
        }
        return 'ended without error';
      } catch (e) {
        return e.name;
      }
    },
    { api: server.api, key: projectKey },
  );
  assert.equal(error, 'AbortError');
  const [request] = upstream.withModel('mock-endless').slice(-1);
  await Promise.race([request.closed, new Promise((_, fail) => setTimeout(() => fail(new Error('upstream still open')), 5000))]);
  assert.equal(request.completed, false);
  await page.close();
});

test('a page of an origin the server does not allow gets a ConnectionError', async () => {
  const { projectKey } = await server.createProject({ dailyRequestLimit: 5 });
  const page = await pageAt(refused);
  const result = await page.evaluate(
    async ({ api, key }) => {
      const client = window.sdk.createClient({ baseUrl: api, projectKey: key });
      const e = await client.chat({ identity: 'b', model: 'gpt-4o-mini', messages: [] }).catch((e) => e);
      return { name: e.name, isConnection: e instanceof window.sdk.ConnectionError };
    },
    { api: server.api, key: projectKey },
  );
  assert.deepEqual(result, { name: 'ConnectionError', isConnection: true });
  await page.close();
});
