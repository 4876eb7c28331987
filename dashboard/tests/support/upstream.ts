// A mock OpenAI upstream: answers POST /v1/chat/completions in OpenAI's format with `usage`,
// and with a 500 when the model is `fail` (so tests can produce upstream errors).
import { createServer, type Server } from 'node:http';

export interface MockUpstream {
  /** The full chat-completions URL, for OPENAI_BASE_URL. */
  url: string;
  /** Completions answered so far. */
  calls: number;
  close(): Promise<void>;
}

export const MOCK_USAGE = { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 };

export async function startUpstream(): Promise<MockUpstream> {
  const state = { calls: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { model?: string };
      if (body.model === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"mock failure"}}');
        return;
      }
      state.calls += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `chatcmpl-mock-${state.calls}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model ?? 'gpt-4o-mini',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the mock.' }, finish_reason: 'stop' }],
          usage: MOCK_USAGE,
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    get calls() {
      return state.calls;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
