// client.chat against the real server: content, usage, rate-limit headers, tiers, warnings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient } from '@ai-ratelimit/sdk';
import { freshIdentity, hello, useServer } from './harness/fixture.mjs';
import { CONTENT, USAGE } from './harness/upstream.mjs';

const ctx = useServer();

test('chat returns the completion, its text, usage and the rate-limit state', async () => {
  const { projectKey } = await ctx.server.createProject({ limitType: 'both', dailyRequestLimit: 5, dailyTokenLimit: 1000 });
  const client = createClient({ baseUrl: ctx.server.api, projectKey });
  const identity = freshIdentity();
  const before = Date.now();
  const res = await client.chat({ identity, model: 'gpt-4o-mini', messages: hello });

  assert.equal(res.content, CONTENT);
  assert.equal(res.raw.choices[0].message.content, CONTENT);
  assert.equal(res.raw.object, 'chat.completion');
  assert.deepEqual(res.usage, { promptTokens: 11, completionTokens: 4, totalTokens: 15 });
  assert.equal(res.warning, undefined);
  assert.match(res.requestId, /^[0-9a-f-]{36}$/, 'the server\'s x-request-id');
  assert.equal(res.requestId, res.headers.get('x-request-id'));
  assert.ok(res.headers instanceof Headers);

  const { requests, tokens } = res.rateLimit;
  assert.equal(requests.limit, 5);
  assert.equal(requests.remaining, 4);
  assert.equal(requests.window, 86400);
  assert.equal(tokens.limit, 1000);
  // The admission reserved an estimate; remaining tokens are below the limit.
  assert.ok(tokens.remaining < 1000, `tokens remaining ${tokens.remaining}`);
  // A day's window resets within a day, at the same instant for both metrics.
  const resetIn = requests.reset.getTime() - before;
  assert.ok(resetIn > 0 && resetIn <= 86_400_000 + 1000, `reset in ${resetIn} ms`);
  assert.equal(tokens.reset.getTime(), requests.reset.getTime());

  const second = await client.chat({ identity, model: 'gpt-4o-mini', messages: hello });
  assert.equal(second.rateLimit.requests.remaining, 3);
  // Settled tokens count: the server's view matches the provider's reported usage.
  assert.equal((await ctx.server.usage(projectKey, identity)).tokensUsed, 2 * USAGE.total_tokens);
});

test('only the provider body reaches the upstream; maxTokens and topP become max_tokens and top_p', async () => {
  const { projectKey } = await ctx.server.createProject({ dailyRequestLimit: 5 });
  // A trailing slash on baseUrl is fine.
  const client = createClient({ baseUrl: `${ctx.server.api}/`, projectKey });
  await client.chat({
    identity: freshIdentity(),
    tier: 'free',
    model: 'gpt-forwarding',
    messages: hello,
    maxTokens: 64,
    topP: 0.5,
    temperature: 0.2,
    seed: 7,
  });
  const [sent] = ctx.upstream.withModel('gpt-forwarding');
  assert.deepEqual(sent.body, {
    model: 'gpt-forwarding',
    messages: hello,
    max_tokens: 64,
    top_p: 0.5,
    temperature: 0.2,
    seed: 7,
  });
});

test('tiers: each tier gets its own limit, the project limit applies without one', async () => {
  const { projectKey } = await ctx.server.createProject({
    dailyRequestLimit: 2,
    tiers: { free: { requestLimit: 1, tokenLimit: null }, pro: { requestLimit: 100, tokenLimit: null } },
  });
  const client = createClient({ baseUrl: ctx.server.api, projectKey });
  const ask = (identity, tier) => client.chat({ identity, tier, model: 'gpt-4o-mini', messages: hello });

  assert.equal((await ask(freshIdentity(), 'free')).rateLimit.requests.limit, 1);
  assert.equal((await ask(freshIdentity(), 'pro')).rateLimit.requests.limit, 100);
  assert.equal((await ask(freshIdentity(), undefined)).rateLimit.requests.limit, 2);
});

test('a non-blocking rule answers normally and attaches its warning', async () => {
  const { projectKey } = await ctx.server.createProject({
    dailyRequestLimit: 10,
    rules: [
      {
        id: 'almost',
        name: 'almost there',
        enabled: true,
        condition: { type: 'usage_absolute', metric: 'requests', operator: 'gte', threshold: 1 },
        action: {
          type: 'custom_response',
          block: false,
          response: { message: 'You used {{used}} of {{limit}} — upgrade for more', deepLink: 'myapp://upgrade', plan: 'pro' },
        },
      },
    ],
  });
  const client = createClient({ baseUrl: ctx.server.api, projectKey });
  const identity = freshIdentity();
  const first = await client.chat({ identity, model: 'gpt-4o-mini', messages: hello });
  assert.equal(first.warning, undefined, 'usage before the first request is 0');
  const second = await client.chat({ identity, model: 'gpt-4o-mini', messages: hello });
  assert.equal(second.content, CONTENT);
  assert.deepEqual(second.warning, { message: 'You used 1 of 10 — upgrade for more', deepLink: 'myapp://upgrade', plan: 'pro' });
});

test('the headers option is sent with every request', async () => {
  const { projectKey } = await ctx.server.createProject({ dailyRequestLimit: 5 });
  const seen = [];
  const client = createClient({
    baseUrl: ctx.server.api,
    projectKey,
    headers: { 'x-app-version': '1.2.3' },
    fetch: (url, init) => {
      seen.push(new Headers(init.headers));
      return fetch(url, init);
    },
  });
  await client.chat({ identity: freshIdentity(), model: 'gpt-4o-mini', messages: hello });
  assert.equal(seen.length, 1);
  assert.equal(seen[0].get('x-app-version'), '1.2.3');
  assert.equal(seen[0].get('x-project-key'), projectKey);
  assert.equal(seen[0].get('content-type'), 'application/json');
});
