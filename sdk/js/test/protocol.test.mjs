// What the real server cannot be made to send, with a fake fetch: the other syntaxes of the
// rate-limit headers, torn and odd event streams, stalls, bodies that are not what they claim.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ApiError,
  ConnectionError,
  ConnectionTimeoutError,
  LimitExceededError,
  ValidationError,
  createClient,
} from '@ai-ratelimit/sdk';
import { completion, fakeFetch, frame, pieces, sse, stalled } from './harness/fake-fetch.mjs';

const messages = [{ role: 'user', content: 'Hi' }];
const params = { identity: 'u', model: 'm', messages };
const clientWith = (respond, options = {}) =>
  createClient({ baseUrl: 'http://server.test/api', projectKey: 'pk_1', fetch: fakeFetch(respond).fetch, ...options });
const textOf = async (stream) => {
  let text = '';
  for await (const part of stream) text += part;
  return text;
};

test('rate limit from the IETF fields alone, any policy name, quoted names with escapes', async () => {
  const headers = {
    'RateLimit-Policy': '"requests";q=100;w=86400, "tokens";q=5000;w=86400;pk=:AAE=:, "proj\\"ect";q=9',
    RateLimit: '"requests";r=42;t=3600, "tokens";r=0;t=3600, "proj\\"ect";r=1;t=60',
  };
  const before = Date.now();
  const { rateLimit } = await clientWith(() => Response.json(completion(), { headers })).chat(params);
  assert.equal(rateLimit.requests.limit, 100);
  assert.equal(rateLimit.requests.remaining, 42);
  assert.equal(rateLimit.requests.window, 86400);
  assert.ok(Math.abs(rateLimit.requests.reset.getTime() - (before + 3_600_000)) < 2000);
  assert.equal(rateLimit.tokens.remaining, 0);
  assert.deepEqual(Object.keys(rateLimit).sort(), ['proj"ect', 'requests', 'tokens']);
  assert.equal(rateLimit['proj"ect'].limit, 9);
  assert.ok(Math.abs(rateLimit['proj"ect'].reset.getTime() - (before + 60_000)) < 2000);
});

test('rate limit from the x-ratelimit-* headers alone; malformed and partial values are left out', async () => {
  const headers = {
    'x-ratelimit-limit-requests': '10',
    'x-ratelimit-remaining-requests': '7',
    'x-ratelimit-limit-tokens': 'lots',
    'x-ratelimit-remaining-tokens': '5',
    'x-ratelimit-reset': '120',
    RateLimit: ';;;garbage',
  };
  const before = Date.now();
  const { rateLimit } = await clientWith(() => Response.json(completion(), { headers })).chat(params);
  assert.deepEqual(Object.keys(rateLimit), ['requests']);
  assert.equal(rateLimit.requests.limit, 10);
  assert.equal(rateLimit.requests.remaining, 7);
  assert.equal(rateLimit.requests.window, undefined);
  assert.ok(Math.abs(rateLimit.requests.reset.getTime() - (before + 120_000)) < 2000);
});

test('no rate-limit headers: an empty object; warning and request id read when sent, ignored when malformed', async () => {
  const plain = await clientWith(() => Response.json(completion())).chat(params);
  assert.deepEqual(plain.rateLimit, {});
  assert.equal(plain.warning, undefined);
  const headers = { 'x-ratelimit-warning': '{"message":"80% used","deepLink":"app://up"}', 'x-request-id': 'req_123' };
  const rich = await clientWith(() => Response.json(completion(), { headers })).chat(params);
  assert.deepEqual(rich.warning, { message: '80% used', deepLink: 'app://up' });
  assert.equal(rich.requestId, 'req_123');
  const odd = await clientWith(() => Response.json(completion(), { headers: { 'x-ratelimit-warning': '{oops' } })).chat(params);
  assert.equal(odd.warning, undefined);
});

test('errors carry requestId; Retry-After as an HTTP date; a 2xx that is not JSON is an ApiError', async () => {
  const at = new Date(Date.now() + 90_000).toUTCString();
  const denied = await clientWith(() =>
    Response.json({ error: 'limit_exceeded', message: 'no' }, { status: 429, headers: { 'retry-after': at, 'x-request-id': 'req_9' } }),
  )
    .chat(params)
    .catch((e) => e);
  assert.ok(denied instanceof LimitExceededError);
  assert.equal(denied.requestId, 'req_9');
  assert.ok(denied.retryAfter >= 88 && denied.retryAfter <= 90, String(denied.retryAfter));

  const html = await clientWith(() => new Response('<html>proxy page</html>', { status: 200 }))
    .chat(params)
    .catch((e) => e);
  assert.equal(html.constructor, ApiError);
  assert.equal(html.body, '<html>proxy page</html>');
});

test("a provider's own 4xx passed through (OpenAI's error shape) keeps its code and message, and is no denial", async () => {
  const body = { error: { message: 'model not found', type: 'invalid_request_error', code: 'model_not_found', param: 'model' } };
  const error = await clientWith(() => Response.json(body, { status: 400 }))
    .chat(params)
    .catch((e) => e);
  assert.ok(error instanceof ValidationError && !(error instanceof LimitExceededError));
  assert.equal(error.code, 'model_not_found');
  assert.equal(error.message, '400 model not found');
  const notFound = await clientWith(() => Response.json(body, { status: 404 }))
    .chat(params)
    .catch((e) => e);
  assert.equal(notFound.constructor, ApiError);
});

test('SSE: CRLF and CR line ends, splits anywhere (even in a multi-byte character), comments, event names, multi-line data', async () => {
  const bytes = new TextEncoder().encode(frame('héllo'));
  const split = bytes.indexOf(0xc3) + 1; // inside the two bytes of "é"
  const parts = [
    ': keep-alive comment\r\n\r\n',
    bytes.slice(0, split),
    bytes.slice(split),
    'event: message\r\nid: 7\r',
    '\n',
    frame(' wor').replace(/\n\n$/, '\r\n\r'),
    '\n',
    `data: {"id":"c","object":"chat.completion.chunk","model":"m",\ndata: "choices":[{"index":0,"delta":{"content":"ld"}}]}\r\r`,
    'data: [DONE]\n\n',
  ];
  const stream = clientWith(() => new Response(pieces(parts), { headers: sse })).chatStream(params);
  assert.equal(await textOf(stream), 'héllo world');
});

test('a stream that ends without [DONE] is a ConnectionError; one that is not SSE is an ApiError', async () => {
  const cut = clientWith(() => new Response(pieces([frame('a'), frame('b')]), { headers: sse })).chatStream(params);
  const seen = [];
  await assert.rejects(async () => {
    for await (const text of cut) seen.push(text);
  }, ConnectionError);
  assert.deepEqual(seen, ['a', 'b']);

  const json = clientWith(() => Response.json({ message: 'custom 200 of a rule' })).chatStream(params);
  const error = await json.open().catch((e) => e);
  assert.equal(error.constructor, ApiError);
  assert.deepEqual(error.body, { message: 'custom 200 of a rule' });
  assert.match(error.message, /not an event stream/);
});

test('without a streaming body (React Native fetch) the stream is read whole', async () => {
  const text = frame('Hi') + frame(' there') + 'data: [DONE]\n\n';
  const respond = () => {
    const response = new Response(text, { headers: sse });
    Object.defineProperty(response, 'body', { value: null });
    return response;
  };
  assert.equal(await textOf(clientWith(respond).chatStream(params)), 'Hi there');
});

test('timeoutMs bounds each wait for the next chunk, not a slow consumer', async () => {
  const slowReader = clientWith(() => new Response(pieces([frame('a'), frame('b'), 'data: [DONE]\n\n']), { headers: sse }), { timeoutMs: 80 });
  let text = '';
  for await (const part of slowReader.chatStream(params)) {
    text += part;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  assert.equal(text, 'ab');

  const stall = clientWith(() => new Response(stalled([frame('a')]), { headers: sse }), { timeoutMs: 80 });
  const seen = [];
  const error = await (async () => {
    for await (const part of stall.chatStream(params)) seen.push(part);
  })().catch((e) => e);
  assert.ok(error instanceof ConnectionTimeoutError, String(error));
  assert.deepEqual(seen, ['a']);
});

test('createClient checks its options; the default fetch is the global one at call time', async () => {
  assert.throws(() => createClient({ baseUrl: '', projectKey: 'pk' }), TypeError);
  assert.throws(() => createClient({ baseUrl: 'http://x/api' }), TypeError);
  const client = createClient({ baseUrl: 'http://server.test/api', projectKey: 'pk_1' });
  const original = globalThis.fetch;
  const { fetch, calls } = fakeFetch(() => Response.json(completion('from the global fetch')));
  globalThis.fetch = fetch;
  try {
    assert.equal((await client.chat(params)).content, 'from the global fetch');
  } finally {
    globalThis.fetch = original;
  }
  assert.equal(calls.length, 1);
});

test('a choice without text gives content "" and no usage when none was reported', async () => {
  const body = completion(null);
  const result = await clientWith(() => Response.json(body)).chat(params);
  assert.equal(result.content, '');
  assert.equal(result.usage, undefined);
});
