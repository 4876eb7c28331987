// `createClient`: the proxy's two chat routes and the options for the official `openai`
// package. Methods are closures, so they may be passed around detached from the client.
import { Exchange, type Config } from './exchange';
import { metaOf } from './headers';
import { ChatStream, usageOf } from './stream';
import type { ChatCompletion, ChatParams, ChatResult, ClientOptions, Identity, OpenAIOptions } from './types';

/** A client of one project. */
export interface Client {
  /** One chat completion through `POST /v1/proxy/chat`. */
  chat(params: ChatParams): Promise<ChatResult>;
  /** A streamed chat completion through `POST /v1/proxy/chat/stream`; sent when first iterated or opened. */
  chatStream(params: ChatParams): ChatStream;
  /** `new OpenAI(client.openAIOptions({ identity }))` talks to the drop-in `/v1/openai` routes. */
  openAIOptions(identity: Identity): OpenAIOptions;
}

/** The identity's headers: a signed token, or (drop-in only) the plain identity and tier. */
function identityHeaders(id: Identity, plain: boolean): Record<string, string> {
  if (id.identityToken !== undefined) return { 'x-identity-token': id.identityToken };
  if (!plain) return {};
  return id.tier === undefined ? { 'x-identity': id.identity } : { 'x-identity': id.identity, 'x-tier': id.tier };
}

/** The JSON body of a proxy call: everything but the SDK's own options, with the original SDK's camelCase names mapped. */
function bodyOf(params: ChatParams): Record<string, unknown> {
  const { identityToken: _token, signal: _signal, maxTokens, topP, ...body } = params;
  if (maxTokens !== undefined) body.max_tokens = maxTokens;
  if (topP !== undefined) body.top_p = topP;
  return body;
}

/** Creates a client of the project whose key is `projectKey`. */
export function createClient(options: ClientOptions): Client {
  const { baseUrl, projectKey } = options;
  if (!baseUrl || !projectKey) throw new TypeError('createClient needs baseUrl and projectKey');
  // Called through globalThis at request time: an unbound `window.fetch` throws "Illegal invocation".
  const fetcher = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const config: Config = {
    base: baseUrl.replace(/\/+$/, ''),
    projectKey,
    fetch: fetcher,
    timeoutMs: options.timeoutMs ?? 600_000,
    headers: options.headers ?? {},
  };

  return {
    async chat(params) {
      const exchange = new Exchange(config, params.signal);
      const response = await exchange.post('/v1/proxy/chat', bodyOf(params), identityHeaders(params, false));
      const raw = (await exchange.json(response)) as ChatCompletion;
      exchange.end();
      return { raw, content: raw.choices?.[0]?.message?.content ?? '', usage: usageOf(raw.usage), ...metaOf(response.headers) };
    },

    chatStream(params) {
      const exchange = new Exchange(config, params.signal);
      // The server asks the provider for usage either way; this makes it pass the usage chunk on.
      const body = { ...bodyOf(params), stream_options: { include_usage: true, ...(params.stream_options as object | undefined) } };
      return new ChatStream(exchange, () => exchange.post('/v1/proxy/chat/stream', body, identityHeaders(params, false)));
    },

    openAIOptions(identity) {
      return {
        baseURL: `${config.base}/v1/openai`,
        apiKey: projectKey,
        defaultHeaders: { ...config.headers, ...identityHeaders(identity, true) },
      };
    },
  };
}
