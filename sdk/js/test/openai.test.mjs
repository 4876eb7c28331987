// client.openAIOptions driving the official `openai` package against the drop-in route
// (`/api/v1/openai/chat/completions`): whole and streamed completions, identity and tier from
// the helper's headers, and the drop-in's 429 as OpenAI.RateLimitError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { createClient } from '@ai-ratelimit/sdk';
import { freshIdentity, hello, useServer } from './harness/fixture.mjs';
import { CONTENT } from './harness/upstream.mjs';

const ctx = useServer();

const LIMIT_RESPONSE = {
  error: 'limit_exceeded',
  message: 'You used {{used}} of {{limit}} free requests today. Upgrade for more!',
  deepLink: 'myapp://upgrade',
};

async function projectClient(project) {
  const { projectKey } = await ctx.server.createProject(project);
  return { projectKey, client: createClient({ baseUrl: ctx.server.api, projectKey }) };
}

test('openAIOptions has the drop-in base URL, the project key and the identity headers', () => {
  const client = createClient({ baseUrl: 'http://localhost:3000/api/', projectKey: 'pk_abc', headers: { 'x-app': '1' } });
  assert.deepEqual(client.openAIOptions({ identity: 'user-1' }), {
    baseURL: 'http://localhost:3000/api/v1/openai',
    apiKey: 'pk_abc',
    defaultHeaders: { 'x-app': '1', 'x-identity': 'user-1' },
  });
  assert.deepEqual(client.openAIOptions({ identity: 'user-1', tier: 'pro' }).defaultHeaders, {
    'x-app': '1',
    'x-identity': 'user-1',
    'x-tier': 'pro',
  });
});

test('new OpenAI(client.openAIOptions(...)) completes through the drop-in, counted for that identity and tier', async () => {
  const { client, projectKey } = await projectClient({ dailyRequestLimit: 5, tiers: { pro: { requestLimit: 50, tokenLimit: null } } });
  const identity = freshIdentity();
  const openai = new OpenAI(client.openAIOptions({ identity, tier: 'pro' }));
  const { data, response } = await openai.chat.completions
    .create({ model: 'gpt-4o-mini', messages: hello })
    .withResponse();
  assert.equal(data.choices[0].message.content, CONTENT);
  assert.equal(response.headers.get('x-ratelimit-limit-requests'), '50', 'the pro tier applied');
  assert.equal((await ctx.server.usage(projectKey, identity)).requestsUsed, 1);
  // The project key went as the bearer token, not to the provider.
  const [sent] = ctx.upstream.requests.slice(-1);
  assert.equal(sent.headers.authorization, 'Bearer sk-test-upstream');
});

test('stream: true streams through the drop-in', async () => {
  const { client, projectKey } = await projectClient({ dailyRequestLimit: 5 });
  const identity = freshIdentity();
  const openai = new OpenAI(client.openAIOptions({ identity }));
  const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hello, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, CONTENT);
  assert.equal((await ctx.server.usage(projectKey, identity)).requestsUsed, 1);
});

/** The drop-in's denial as the openai package raises it (after its own retries). */
async function deniedByDropIn() {
  const { client } = await projectClient({ dailyRequestLimit: 1, limitExceededResponse: LIMIT_RESPONSE });
  const openai = new OpenAI(client.openAIOptions({ identity: freshIdentity() }));
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
  return openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hello }).then(
    () => assert.fail('the second request should be denied'),
    (e) => e,
  );
}

// The timeouts turn a regression of `x-should-retry: false` (the package would sleep the whole
// Retry-After, hours, before its retries) into a failure instead of a hang.
test('over the limit the openai package raises OpenAI.RateLimitError at once, with the limit message', { timeout: 20_000 }, async () => {
  const error = await deniedByDropIn();
  assert.ok(error instanceof OpenAI.RateLimitError, String(error));
  assert.equal(error.status, 429);
  assert.equal(error.type, 'rate_limit_error');
  assert.equal(error.code, 'limit_exceeded');
  assert.equal(error.error.message, 'You used 1 of 1 free requests today. Upgrade for more!');
  assert.ok(Number(error.headers.get('retry-after')) > 0);
  assert.equal(error.headers.get('x-ratelimit-remaining-requests'), '0');
  assert.equal(error.headers.get('x-should-retry'), 'false', 'the server told the package not to retry');
});

test('the drop-in 429 carries the deep link inside the OpenAI error object', { timeout: 20_000 }, async () => {
  const error = await deniedByDropIn();
  assert.ok(error instanceof OpenAI.RateLimitError, String(error));
  assert.equal(error.error.deepLink, 'myapp://upgrade');
});
