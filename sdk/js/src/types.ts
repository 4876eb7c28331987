// Public types of the SDK. The request and response shapes are OpenAI's chat-completions
// format (the proxy speaks it for every provider); they are kept open (`[key: string]:
// unknown`) so that new provider fields pass through without an SDK release.

/** Options of {@link createClient}. */
export interface ClientOptions {
  /** The API's base URL including `/api`, e.g. `http://localhost:3000/api` (a trailing slash is fine). */
  baseUrl: string;
  /** The project's publishable key (`pk_…`), sent as `x-project-key`. */
  projectKey: string;
  /** A fetch implementation; defaults to the global `fetch` (Node ≥ 18, browsers, Deno, Bun, React Native). */
  fetch?: typeof fetch;
  /**
   * Milliseconds until a request fails with `ConnectionTimeoutError`: the whole of `chat`, and for
   * streams the wait for the response and then for each next chunk. Default 600000 (10 minutes);
   * `0` disables it.
   */
  timeoutMs?: number;
  /** Extra headers sent with every request (e.g. for a gateway in front of the server). */
  headers?: Record<string, string>;
}

/** One chat message (OpenAI format). */
export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | (string & {});
  content?: string | null | Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/** Who is calling: the end user's identity (and tier), or a signed identity token. */
export type Identity =
  | {
      /** The end user (user, session or device id), 1–256 characters. */
      identity: string;
      /** The plan tier whose limits apply (e.g. `free`, `pro`); the project's limits when omitted. */
      tier?: string | undefined;
      identityToken?: never;
    }
  | {
      /** A JWT minted by your backend that fixes the identity and tier (header `x-identity-token`). */
      identityToken: string;
      identity?: never;
      tier?: never;
    };

/** The request of `chat` and `chatStream`: an identity plus an OpenAI chat-completions body. */
export type ChatParams = Identity & {
  model: string;
  messages: ChatMessage[];
  /** Sent as `max_tokens` (the original SDK's name); it also sizes the proxy's token reservation. */
  maxTokens?: number;
  /** Sent as `top_p` (the original SDK's name). */
  topP?: number;
  temperature?: number;
  /** Cancels the request (and a stream's upstream call) when aborted. */
  signal?: AbortSignal;
  /** Any other field is passed to the provider unchanged (`max_tokens`, `tools`, `user`, …). */
  [key: string]: unknown;
};

/** Token counts of one completion. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** One limited metric of the rate-limit headers. */
export interface RateLimitMetric {
  /** The limit of the current window. */
  limit: number;
  /** What is left of it after this request. */
  remaining: number;
  /** When the window resets. */
  reset: Date;
  /** The window's length in seconds (from `RateLimit-Policy`), when sent. */
  window?: number;
}

/** The rate-limit headers of a response, per metric (`requests`, `tokens`); empty when none is limited. */
export interface RateLimit {
  requests?: RateLimitMetric;
  tokens?: RateLimitMetric;
  [metric: string]: RateLimitMetric | undefined;
}

/** A limit response or warning: the JSON a project or rule configured (templated by the server). */
export interface LimitResponse {
  error?: string;
  message?: string;
  deepLink?: string;
  [key: string]: unknown;
}

/** A chat completion as the provider returned it (OpenAI format). */
export interface ChatCompletion {
  id: string;
  model: string;
  choices: Array<{
    index: number;
    message: { role: string; content: string | null; [key: string]: unknown };
    finish_reason: string | null;
    [key: string]: unknown;
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number; [key: string]: unknown };
  [key: string]: unknown;
}

/** One streamed chunk (OpenAI format); the last one may carry only `usage`. */
export interface ChatCompletionChunk {
  id: string;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: string; content?: string | null; [key: string]: unknown };
    finish_reason: string | null;
    [key: string]: unknown;
  }>;
  usage?: ChatCompletion['usage'] | null;
  [key: string]: unknown;
}

/** What a response's headers tell besides its body. */
export interface ResponseMeta {
  /** The rate-limit headers, per metric. */
  rateLimit: RateLimit;
  /** The `x-ratelimit-warning` a non-blocking rule attached, parsed. */
  warning: LimitResponse | undefined;
  /** The server's `x-request-id`, when it sent one. */
  requestId: string | undefined;
  /** All response headers. */
  headers: Headers;
}

/** The result of `chat`. */
export interface ChatResult extends ResponseMeta {
  /** The provider's chat-completion JSON. */
  raw: ChatCompletion;
  /** The first choice's text (`''` when it has none, e.g. a tool call). */
  content: string;
  /** Token counts, when the provider reported them. */
  usage: Usage | undefined;
}

/** Constructor options for the official `openai` package, pointed at the drop-in route. */
export interface OpenAIOptions {
  baseURL: string;
  apiKey: string;
  defaultHeaders: Record<string, string>;
}
