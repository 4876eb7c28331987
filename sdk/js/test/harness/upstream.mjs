// A mock OpenAI chat-completions upstream. What it does depends on the request's `model`, so
// one mock serves every test of a file:
//   any other model    a completion "Hello from the mock" (streamed in four chunks when `stream`)
//   mock-fail          500
//   mock-slow          answers after 3 s
//   mock-endless       streams a chunk every 20 ms until the connection closes
//   mock-cut           streams two chunks, then drops the connection
//   mock-error-event   streams a chunk, then an OpenAI error event
import { createServer } from 'node:http';

export const CONTENT = 'Hello from the mock';
export const DELTAS = ['Hello', ' from', ' the', ' mock'];
export const USAGE = { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 };

const chunk = (model, delta, extra = {}) => ({
  id: 'chatcmpl-mock',
  object: 'chat.completion.chunk',
  created: 1,
  model,
  choices: delta === undefined ? [] : [{ index: 0, delta, finish_reason: null }],
  ...extra,
});
const frame = (value) => `data: ${JSON.stringify(value)}\n\n`;

export async function startUpstream() {
  /** Every request received: its body and headers, whether its response was completed, and when its connection closed. */
  const requests = [];
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const part of req) text += part;
    const body = JSON.parse(text);
    const entry = { body, headers: req.headers, completed: false };
    entry.closed = new Promise((ok) => res.on('close', ok));
    res.on('finish', () => (entry.completed = true));
    requests.push(entry);
    const { model } = body;

    if (model === 'mock-fail') {
      res.writeHead(500, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { message: 'mock failure', type: 'server_error' } }));
    }
    if (model === 'mock-slow') await new Promise((ok) => setTimeout(ok, 3000));
    if (res.destroyed) return;
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          id: 'chatcmpl-mock',
          object: 'chat.completion',
          created: 1,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: CONTENT }, finish_reason: 'stop' }],
          usage: USAGE,
        }),
      );
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    if (model === 'mock-endless') {
      const timer = setInterval(() => res.write(frame(chunk(model, { content: 'more ' }))), 20);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (model === 'mock-cut') {
      res.write(frame(chunk(model, { content: DELTAS[0] })));
      res.write(frame(chunk(model, { content: DELTAS[1] })));
      return setTimeout(() => res.socket?.destroy(), 50);
    }
    if (model === 'mock-error-event') {
      res.write(frame(chunk(model, { content: DELTAS[0] })));
      res.write(frame({ error: { message: 'the model is overloaded', type: 'server_error', code: null } }));
      return res.end();
    }
    res.write(frame(chunk(model, { role: 'assistant', content: '' })));
    for (const content of DELTAS) res.write(frame(chunk(model, { content })));
    res.write(frame({ ...chunk(model, {}), choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
    if (body.stream_options?.include_usage) res.write(frame(chunk(model, undefined, { usage: USAGE })));
    res.end('data: [DONE]\n\n');
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    requests,
    /** The requests whose model was `model`. */
    withModel: (model) => requests.filter((r) => r.body.model === model),
    async stop() {
      server.closeAllConnections();
      await new Promise((ok) => server.close(ok));
    },
  };
}
