// The SDK's errors against the real server: each status as its class with status, headers,
// body and requestId; connection failures and timeouts; no retry of a 429.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import {
  AiRatelimitError,
  ApiError,
  AuthError,
  ConnectionError,
  ConnectionTimeoutError,
  LimitExceededError,
  UpstreamError,
  ValidationError,
  createClient,
} from '@ai-ratelimit/sdk';
import { freshIdentity, hello, useServer } from './harness/fixture.mjs';

const ctx = useServer();

const failureOf = (promise) => promise.then(
  (value) => assert.fail(`expected a rejection, got ${JSON.stringify(value)}`),
  (e) => e,
);

test('429: LimitExceededError with the deep link, custom fields, retryAfter and rate limit; never retried', async () => {
  const { projectKey } = await ctx.server.createProject({
    limitType: 'requests',
    dailyRequestLimit: 1,
    limitExceededResponse: {
      error: 'limit_exceeded',
      message: 'You used {{used}} of {{limit}} free requests today. Upgrade for more!',
      deepLink: 'myapp://upgrade',
      webUrl: 'https://example.com/upgrade',
      plans: ['pro', 'team'],
    },
  });
  let calls = 0;
  const client = createClient({
    baseUrl: ctx.server.api,
    projectKey,
    fetch: (url, init) => {
      calls += 1;
      return fetch(url, init);
    },
  });
  const identity = freshIdentity();
  await client.chat({ identity, model: 'gpt-4o-mini', messages: hello });
  const error = await failureOf(client.chat({ identity, model: 'gpt-4o-mini', messages: hello }));

  assert.equal(calls, 2, 'the 429 was not retried');
  assert.ok(error instanceof LimitExceededError);
  assert.ok(error instanceof ApiError && error instanceof AiRatelimitError && error instanceof Error);
  assert.equal(error.name, 'LimitExceededError');
  assert.equal(error.status, 429);
  assert.equal(error.code, 'limit_exceeded');
  assert.deepEqual(error.response, {
    error: 'limit_exceeded',
    message: 'You used 1 of 1 free requests today. Upgrade for more!',
    deepLink: 'myapp://upgrade',
    webUrl: 'https://example.com/upgrade',
    plans: ['pro', 'team'],
  });
  assert.equal(error.body, error.response);
  assert.equal(error.message, '429 You used 1 of 1 free requests today. Upgrade for more!');
  const retryAfter = Number(error.headers.get('retry-after'));
  assert.ok(retryAfter > 0 && retryAfter <= 86_400);
  assert.equal(error.retryAfter, retryAfter);
  assert.equal(error.rateLimit.requests.limit, 1);
  assert.equal(error.rateLimit.requests.remaining, 0);
  assert.ok(error.rateLimit.requests.reset > new Date());
  assert.match(error.requestId, /^[0-9a-f-]{36}$/, 'the server\'s x-request-id');
});

test('429 without a configured response: the default body; a blocking rule with its own status is also a LimitExceededError', async () => {
  const { projectKey } = await ctx.server.createProject({
    dailyRequestLimit: 1,
    rules: [
      {
        id: 'pay',
        name: 'pay up',
        enabled: true,
        condition: { type: 'tier_match', value: 'trial' },
        action: { type: 'custom_response', status: 402, response: { error: 'payment_required', message: 'Trial over', deepLink: 'myapp://pay' } },
      },
    ],
  });
  const client = createClient({ baseUrl: ctx.server.api, projectKey });
  const identity = freshIdentity();
  await client.chat({ identity, model: 'gpt-4o-mini', messages: hello });
  const error = await failureOf(client.chat({ identity, model: 'gpt-4o-mini', messages: hello }));
  assert.ok(error instanceof LimitExceededError);
  assert.equal(error.response.error, 'limit_exceeded');
  assert.equal(error.response.limitType, 'requests');
  assert.deepEqual(error.response.usage, { requestsUsed: 1, tokensUsed: error.response.usage.tokensUsed });
  assert.equal(error.response.limits.requestLimit, 1);

  const blocked = await failureOf(client.chat({ identity: freshIdentity(), tier: 'trial', model: 'gpt-4o-mini', messages: hello }));
  assert.ok(blocked instanceof LimitExceededError, String(blocked));
  assert.equal(blocked.status, 402);
  assert.equal(blocked.response.deepLink, 'myapp://pay');
  assert.equal(blocked.retryAfter, undefined, 'a 402 carries no Retry-After');
});

test('401: AuthError for an unknown project key', async () => {
  const client = createClient({ baseUrl: ctx.server.api, projectKey: 'pk_not_a_real_key' });
  const error = await failureOf(client.chat({ identity: freshIdentity(), model: 'gpt-4o-mini', messages: hello }));
  assert.ok(error instanceof AuthError && error instanceof ApiError);
  assert.equal(error.status, 401);
  assert.equal(error.code, 'invalid_project_key');
  assert.equal(error.body.error, 'invalid_project_key');
  assert.ok(error.headers instanceof Headers);
  await assert.rejects(async () => {
    for await (const _ of client.chatStream({ identity: 'u', model: 'gpt-4o-mini', messages: hello }));
  }, AuthError);
});

test('400: ValidationError naming the field when the identity is missing', async () => {
  const { projectKey } = await ctx.server.createProject({ dailyRequestLimit: 5 });
  const client = createClient({ baseUrl: ctx.server.api, projectKey });
  // Plain JavaScript callers can forget it; the types would not let this compile.
  const error = await failureOf(client.chat({ model: 'gpt-4o-mini', messages: hello }));
  assert.ok(error instanceof ValidationError);
  assert.equal(error.status, 400);
  assert.equal(error.field, 'identity');
  assert.equal(error.code, 'invalid_request');
});

test('502: UpstreamError when the provider fails; the request is not counted', async () => {
  const { projectKey } = await ctx.server.createProject({ dailyRequestLimit: 5 });
  const client = createClient({ baseUrl: ctx.server.api, projectKey });
  const identity = freshIdentity();
  const error = await failureOf(client.chat({ identity, model: 'mock-fail', messages: hello }));
  assert.ok(error instanceof UpstreamError);
  assert.equal(error.status, 502);
  assert.equal(error.code, 'upstream_error');
  assert.equal((await ctx.server.usage(projectKey, identity)).requestsUsed, 0);
  await assert.rejects(async () => {
    for await (const _ of client.chatStream({ identity, model: 'mock-fail', messages: hello }));
  }, UpstreamError);
});

test('other statuses: ApiError (404 for a wrong baseUrl path)', async () => {
  const client = createClient({ baseUrl: `${ctx.server.origin}/not-the-api`, projectKey: 'pk_x' });
  const error = await failureOf(client.chat({ identity: 'u', model: 'gpt-4o-mini', messages: hello }));
  assert.equal(error.constructor, ApiError);
  assert.equal(error.status, 404);
  assert.equal(error.code, 'not_found');
});

test('timeout: ConnectionTimeoutError, a ConnectionError, when the server answers too late', async () => {
  const { projectKey } = await ctx.server.createProject({ dailyRequestLimit: 5 });
  const client = createClient({ baseUrl: ctx.server.api, projectKey, timeoutMs: 300 });
  const started = Date.now();
  const error = await failureOf(client.chat({ identity: freshIdentity(), model: 'mock-slow', messages: hello }));
  assert.ok(error instanceof ConnectionTimeoutError, String(error));
  assert.ok(error instanceof ConnectionError);
  assert.equal(error.name, 'ConnectionTimeoutError');
  assert.ok(error.cause, 'the abort is kept as the cause');
  assert.ok(Date.now() - started < 2500, 'gave up at the timeout, not when the upstream answered');
});

test('connection refused: ConnectionError with the network error as its cause', async () => {
  // A port that was free a moment ago and has nobody listening now.
  const port = await new Promise((ok) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
  const client = createClient({ baseUrl: `http://127.0.0.1:${port}/api`, projectKey: 'pk_x' });
  const error = await failureOf(client.chat({ identity: 'u', model: 'gpt-4o-mini', messages: hello }));
  assert.ok(error instanceof ConnectionError && !(error instanceof ConnectionTimeoutError), String(error));
  assert.ok(error.cause instanceof Error);
  assert.match(error.message, /^Connection error/);
});

test('a signal aborted during chat rejects with its reason, not a ConnectionError', async () => {
  const { projectKey } = await ctx.server.createProject({ dailyRequestLimit: 5 });
  const client = createClient({ baseUrl: ctx.server.api, projectKey });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const error = await failureOf(client.chat({ identity: freshIdentity(), model: 'mock-slow', messages: hello, signal: controller.signal }));
  assert.equal(error.name, 'AbortError');
  assert.ok(!(error instanceof AiRatelimitError));
});
