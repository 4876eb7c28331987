// Type tests: the whole public API as an app would use it, compiled under `strict` (plus
// exactOptionalPropertyTypes and noUncheckedIndexedAccess) through the package's exports map.
// `@ts-expect-error` lines must stay errors: they are what the types promise to refuse.
import OpenAI from 'openai';
import {
  AiRatelimitError,
  ApiError,
  AuthError,
  ChatStream,
  ConnectionError,
  ConnectionTimeoutError,
  LimitExceededError,
  UpstreamError,
  ValidationError,
  createClient,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatMessage,
  type ChatParams,
  type ChatResult,
  type Client,
  type ClientOptions,
  type Identity,
  type LimitResponse,
  type OpenAIOptions,
  type RateLimit,
  type RateLimitMetric,
  type ResponseMeta,
  type Usage,
} from '@ai-ratelimit/sdk';

const options: ClientOptions = {
  baseUrl: 'http://localhost:3000/api',
  projectKey: 'pk_test',
  fetch: globalThis.fetch,
  timeoutMs: 30_000,
  headers: { 'x-app-version': '1.0.0' },
};
const client: Client = createClient(options);
// @ts-expect-error the project key is required
createClient({ baseUrl: 'http://localhost:3000/api' });

const messages: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: [{ type: 'text', text: 'Hello' }] },
];

export async function chat(): Promise<string> {
  const params: ChatParams = {
    identity: 'user-123',
    tier: 'free',
    model: 'gpt-4o-mini',
    messages,
    maxTokens: 100,
    topP: 0.9,
    temperature: 0.5,
    signal: AbortSignal.timeout(10_000),
    response_format: { type: 'text' },
  };
  const result: ChatResult = await client.chat(params);
  const raw: ChatCompletion = result.raw;
  const first: string | null | undefined = raw.choices[0]?.message.content;
  const usage: Usage | undefined = result.usage;
  const total: number | undefined = usage?.totalTokens;
  const requests: RateLimitMetric | undefined = result.rateLimit.requests;
  const reset: Date | undefined = requests?.reset;
  const custom: RateLimitMetric | undefined = result.rateLimit['project'];
  const warning: LimitResponse | undefined = result.warning;
  const deepLink: string | undefined = warning?.deepLink;
  const requestId: string | undefined = result.requestId;
  const headers: Headers = result.headers;
  void [first, total, reset, custom, deepLink, requestId, headers];
  return result.content;
}

export async function stream(): Promise<Usage | undefined> {
  const controller = new AbortController();
  const s: ChatStream = client.chatStream({ identity: 'user-123', model: 'gpt-4o-mini', messages, signal: controller.signal });
  const meta: ResponseMeta = await s.open();
  const rateLimit: RateLimit = meta.rateLimit;
  void rateLimit;
  for await (const text of s) {
    const t: string = text;
    void t;
  }
  const after: RateLimit | undefined = s.rateLimit;
  void after;
  for await (const chunk of client.chatStream({ identityToken: 'jwt', model: 'm', messages }).chunks()) {
    const c: ChatCompletionChunk = chunk;
    const delta: string | null | undefined = c.choices[0]?.delta.content;
    void delta;
  }
  s.abort(new Error('gone'));
  return s.usage;
}

// Signed identities replace identity and tier; the two cannot be mixed.
const signed: Identity = { identityToken: 'jwt' };
void client.chat({ ...signed, model: 'm', messages });
// @ts-expect-error identity and identityToken are exclusive
void client.chat({ identity: 'u', identityToken: 'jwt', model: 'm', messages });
// @ts-expect-error a tier comes from the token, not beside it
void client.chat({ identityToken: 'jwt', tier: 'pro', model: 'm', messages });
// @ts-expect-error an identity is required
void client.chat({ model: 'm', messages });
// @ts-expect-error the model is required
void client.chat({ identity: 'u', messages });

// The helper's result is what the official package's constructor takes.
const openAIOptions: OpenAIOptions = client.openAIOptions({ identity: 'user-1', tier: 'pro' });
const openai = new OpenAI(client.openAIOptions({ identity: 'user-1' }));
const openaiSigned = new OpenAI(client.openAIOptions({ identityToken: 'jwt' }));
void [openAIOptions, openai, openaiSigned];

export function handle(err: unknown): string {
  if (err instanceof LimitExceededError) {
    const response: LimitResponse = err.response;
    const retryAfter: number | undefined = err.retryAfter;
    const remaining: number | undefined = err.rateLimit.requests?.remaining;
    void [retryAfter, remaining];
    return response.deepLink ?? response.message ?? err.message;
  }
  if (err instanceof ValidationError) return err.field ?? 'unknown field';
  if (err instanceof AuthError || err instanceof UpstreamError) return `${err.status} ${err.code ?? ''}`;
  if (err instanceof ApiError) {
    const status: number = err.status;
    const body: unknown = err.body;
    const headers: Headers = err.headers;
    const id: string | undefined = err.requestId;
    void [body, headers, id];
    return String(status);
  }
  if (err instanceof ConnectionTimeoutError) return 'timeout';
  if (err instanceof ConnectionError) return String(err.cause);
  if (err instanceof AiRatelimitError) return err.name;
  return 'unknown';
}
