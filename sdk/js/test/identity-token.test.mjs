// Signed identities (`identityToken`, header `x-identity-token`) — the SDK side.
//
// The server does not verify tokens yet (issue 18). These tests check with a fake fetch what
// the SDK sends. Once the server supports `requireSignedIdentity`, add here an end-to-end test
// against the real server (see chat.test.mjs for the harness): create a project with
// `requireSignedIdentity: true`, POST /api/projects/:id/identity-secret, mint an HS256 JWT
// (`sub`, `tier`, `exp`) with node:crypto, then check that chat, chatStream and
// `new OpenAI(client.openAIOptions({ identityToken }))` are counted for `sub` at the token's
// tier, and that a bad token is an AuthError (401 invalid_identity_token).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient } from '@ai-ratelimit/sdk';
import { completion, fakeFetch, frame, pieces, sse } from './harness/fake-fetch.mjs';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEiLCJ0aWVyIjoicHJvIn0.c2lnbmF0dXJl';
const messages = [{ role: 'user', content: 'Hi' }];

test('chat sends the token as x-identity-token and no identity or tier in the body', async () => {
  const { fetch, calls } = fakeFetch(() => Response.json(completion()));
  const client = createClient({ baseUrl: 'http://server.test/api', projectKey: 'pk_1', fetch });
  await client.chat({ identityToken: TOKEN, model: 'gpt-4o-mini', messages });
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, 'http://server.test/api/v1/proxy/chat');
  assert.equal(calls[0].headers.get('x-identity-token'), TOKEN);
  assert.equal(calls[0].headers.get('x-project-key'), 'pk_1');
  assert.deepEqual(calls[0].body, { model: 'gpt-4o-mini', messages });
});

test('chatStream sends the token the same way', async () => {
  const { fetch, calls } = fakeFetch(() => new Response(pieces([frame('Hi'), 'data: [DONE]\n\n']), { headers: sse }));
  const client = createClient({ baseUrl: 'http://server.test/api', projectKey: 'pk_1', fetch });
  const texts = [];
  for await (const text of client.chatStream({ identityToken: TOKEN, model: 'gpt-4o-mini', messages })) texts.push(text);
  assert.deepEqual(texts, ['Hi']);
  assert.equal(calls[0].url, 'http://server.test/api/v1/proxy/chat/stream');
  assert.equal(calls[0].headers.get('x-identity-token'), TOKEN);
  assert.deepEqual(calls[0].body, { model: 'gpt-4o-mini', messages, stream_options: { include_usage: true } });
});

test('openAIOptions puts the token in the default headers instead of x-identity / x-tier', () => {
  const client = createClient({ baseUrl: 'http://server.test/api', projectKey: 'pk_1' });
  assert.deepEqual(client.openAIOptions({ identityToken: TOKEN }), {
    baseURL: 'http://server.test/api/v1/openai',
    apiKey: 'pk_1',
    defaultHeaders: { 'x-identity-token': TOKEN },
  });
});
