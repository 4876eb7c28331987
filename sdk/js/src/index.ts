// The public API of `@ai-ratelimit/sdk`.
export { createClient, type Client } from './client';
export { ChatStream } from './stream';
export {
  AiRatelimitError,
  ApiError,
  AuthError,
  ConnectionError,
  ConnectionTimeoutError,
  LimitExceededError,
  UpstreamError,
  ValidationError,
} from './errors';
export type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  ChatParams,
  ChatResult,
  ClientOptions,
  Identity,
  LimitResponse,
  OpenAIOptions,
  RateLimit,
  RateLimitMetric,
  ResponseMeta,
  Usage,
} from './types';
