// client.chatStream against the real server: text and raw chunks, usage, headers, clean end,
// cancellation that reaches the upstream, errors before and during the stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatStream, ConnectionError, LimitExceededError, UpstreamError, createClient } from '@ai-ratelimit/sdk';
import { freshIdentity, hello, useServer } from './harness/fixture.mjs';
import { DELTAS, USAGE } from './harness/upstream.mjs';

const ctx = useServer();

async function clientOf(project) {
  const { projectKey } = await ctx.server.createProject(project);
  return { projectKey, client: createClient({ baseUrl: ctx.server.api, projectKey }) };
}

/** Resolves when `promise` does, or fails the test after `ms`. */
const within = (promise, ms, what) =>
  Promise.race([promise, new Promise((_, fail) => setTimeout(() => fail(new Error(`${what}: not within ${ms} ms`)), ms))]);

test('a stream yields the text, then ends on [DONE] with usage and rate-limit headers', async () => {
  const { client, projectKey } = await clientOf({ limitType: 'both', dailyRequestLimit: 3, dailyTokenLimit: 5000 });
  const identity = freshIdentity();
  const stream = client.chatStream({ identity, model: 'gpt-4o-mini', messages: hello });
  assert.ok(stream instanceof ChatStream);
  assert.equal(stream.rateLimit, undefined, 'nothing is sent before iterating');

  const texts = [];
  for await (const text of stream) texts.push(text);

  assert.deepEqual(texts, DELTAS);
  assert.deepEqual(stream.usage, { promptTokens: 11, completionTokens: 4, totalTokens: 15 });
  assert.equal(stream.rateLimit.requests.limit, 3);
  assert.equal(stream.rateLimit.requests.remaining, 2);
  assert.equal(stream.rateLimit.tokens.limit, 5000);
  assert.equal(stream.headers.get('content-type'), 'text/event-stream');
  assert.equal(stream.warning, undefined);
  // The proxy asked the provider for usage, and the SDK asked the proxy to pass it on.
  const [sent] = ctx.upstream.requests.slice(-1);
  assert.deepEqual(sent.body.stream_options, { include_usage: true });
  assert.equal(sent.body.stream, true);
  // The server settles the stream's reported tokens once it has ended.
  await within(
    (async () => {
      while ((await ctx.server.usage(projectKey, identity)).tokensUsed !== USAGE.total_tokens) await new Promise((ok) => setTimeout(ok, 20));
    })(),
    5000,
    'tokens settled',
  );
});

test('chunks() gives the raw chunks, the usage-only last one included; a stream is iterated once', async () => {
  const { client } = await clientOf({ dailyRequestLimit: 5 });
  const stream = client.chatStream({ identity: freshIdentity(), model: 'gpt-4o-mini', messages: hello });
  const meta = await stream.open();
  assert.equal(meta.rateLimit.requests.remaining, 4);
  assert.equal(stream.rateLimit, meta.rateLimit);

  const chunks = [];
  for await (const chunk of stream.chunks()) chunks.push(chunk);
  assert.equal(chunks.length, DELTAS.length + 3, 'role chunk, four deltas, finish chunk, usage chunk');
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
  assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks.at(-1).choices, []);
  assert.deepEqual(chunks.at(-1).usage, USAGE);

  await assert.rejects(async () => {
    for await (const text of stream) assert.fail(`second iteration yielded ${text}`);
  }, TypeError);
});

test('stream_options the caller sets are kept, include_usage stays on', async () => {
  const { client } = await clientOf({ dailyRequestLimit: 5 });
  const stream = client.chatStream({
    identity: freshIdentity(),
    model: 'gpt-stream-options',
    messages: hello,
    stream_options: { include_obfuscation: false },
  });
  for await (const text of stream) assert.equal(typeof text, 'string');
  const [sent] = ctx.upstream.withModel('gpt-stream-options');
  assert.deepEqual(sent.body.stream_options, { include_usage: true, include_obfuscation: false });
});

test('aborting the signal mid-stream throws its reason and closes the upstream request', async () => {
  const { client } = await clientOf({ dailyRequestLimit: 5 });
  const controller = new AbortController();
  const stream = client.chatStream({ identity: freshIdentity(), model: 'mock-endless', messages: hello, signal: controller.signal });
  let received = 0;
  await assert.rejects(
    async () => {
      for await (const text of stream) {
        assert.equal(text, 'more ');
        if (++received === 3) controller.abort();
      }
    },
    { name: 'AbortError' },
  );
  assert.equal(received, 3, 'nothing after the abort');
  const [upstream] = ctx.upstream.withModel('mock-endless').slice(-1);
  await within(upstream.closed, 5000, 'upstream connection closed');
  assert.equal(upstream.completed, false, 'the upstream response was cut, not finished');
});

test('leaving the loop early (break) also closes the upstream request; stream.abort() cancels with its reason', async () => {
  const { client } = await clientOf({ dailyRequestLimit: 5 });
  for await (const text of client.chatStream({ identity: freshIdentity(), model: 'mock-endless', messages: hello })) {
    assert.equal(text, 'more ');
    break;
  }
  const [first] = ctx.upstream.withModel('mock-endless').slice(-1);
  await within(first.closed, 5000, 'upstream connection closed after break');

  const stream = client.chatStream({ identity: freshIdentity(), model: 'mock-endless', messages: hello });
  const reason = new Error('user went away');
  await assert.rejects(async () => {
    for await (const _ of stream) stream.abort(reason);
  }, (e) => e === reason);
  const [second] = ctx.upstream.withModel('mock-endless').slice(-1);
  assert.notEqual(second, first);
  await within(second.closed, 5000, 'upstream connection closed after abort()');
});

test('a signal aborted before the call sends nothing', async () => {
  const { client } = await clientOf({ dailyRequestLimit: 5 });
  const before = ctx.upstream.requests.length;
  const stream = client.chatStream({ identity: freshIdentity(), model: 'gpt-4o-mini', messages: hello, signal: AbortSignal.abort() });
  await assert.rejects(stream.open(), { name: 'AbortError' });
  assert.equal(ctx.upstream.requests.length, before);
});

test('a denial before streaming is a LimitExceededError from open() and from the iterator', async () => {
  const { client } = await clientOf({
    dailyRequestLimit: 1,
    limitExceededResponse: { error: 'limit_exceeded', message: 'Out of free messages', deepLink: 'myapp://upgrade' },
  });
  const identity = freshIdentity();
  for await (const _ of client.chatStream({ identity, model: 'gpt-4o-mini', messages: hello }));

  const denied = client.chatStream({ identity, model: 'gpt-4o-mini', messages: hello });
  const error = await denied.open().catch((e) => e);
  assert.ok(error instanceof LimitExceededError, String(error));
  assert.equal(error.status, 429);
  assert.equal(error.response.deepLink, 'myapp://upgrade');
  assert.equal(error.response.message, 'Out of free messages');
  assert.ok(error.retryAfter > 0);
  assert.equal(error.rateLimit.requests.remaining, 0);
  await assert.rejects(async () => {
    for await (const _ of denied);
  }, LimitExceededError);

  await assert.rejects(async () => {
    for await (const _ of client.chatStream({ identity, model: 'gpt-4o-mini', messages: hello }));
  }, LimitExceededError);
});

test('an upstream that drops the connection mid-stream makes the iterator throw a ConnectionError', async () => {
  const { client } = await clientOf({ dailyRequestLimit: 5 });
  const texts = [];
  const error = await (async () => {
    for await (const text of client.chatStream({ identity: freshIdentity(), model: 'mock-cut', messages: hello })) texts.push(text);
  })().catch((e) => e);
  assert.ok(error instanceof ConnectionError, String(error));
  assert.deepEqual(texts, DELTAS.slice(0, 2), 'the text before the break was delivered');
});

test('an error event inside the stream is thrown as an UpstreamError carrying the event', async () => {
  const { client } = await clientOf({ dailyRequestLimit: 5 });
  const texts = [];
  const error = await (async () => {
    for await (const text of client.chatStream({ identity: freshIdentity(), model: 'mock-error-event', messages: hello })) texts.push(text);
  })().catch((e) => e);
  assert.ok(error instanceof UpstreamError, String(error));
  assert.equal(error.status, 502);
  assert.equal(error.body.error.message, 'the model is overloaded');
  assert.match(error.message, /overloaded/);
  assert.deepEqual(texts, [DELTAS[0]]);
});
