// The errors the SDK throws. Every class sets its `name` as a string literal because bundlers
// mangle class names, and `instanceof` is the documented way to tell them apart.
import { rateLimitOf, retryAfterOf } from './headers';
import type { LimitResponse, RateLimit } from './types';

/** The base of every error this SDK throws. */
export class AiRatelimitError extends Error {
  override name = 'AiRatelimitError';
}

/** The server answered with an error status. */
export class ApiError extends AiRatelimitError {
  override name = 'ApiError';
  /** The error's `error` code (`invalid_project_key`, `limit_exceeded`, …), when the body has one. */
  readonly code: string | undefined;
  /** The server's `x-request-id`, when it sent one. */
  readonly requestId: string | undefined;

  constructor(
    /** The HTTP status. */
    readonly status: number,
    /** The response headers. */
    readonly headers: Headers,
    /** The parsed JSON body (or its text when it is not JSON). */
    readonly body: unknown,
    message?: string,
  ) {
    const b = body as { error?: unknown; message?: unknown } | null;
    // The proxy's own shape `{error, message}`, or OpenAI's `{error: {message, code}}` of a provider's 4xx.
    const inner = (typeof b?.error === 'object' ? b.error : b) as { code?: unknown; message?: unknown } | null;
    super(message ?? `${status} ${typeof inner?.message === 'string' ? inner.message : 'HTTP error'}`);
    this.code = typeof b?.error === 'string' ? b.error : typeof inner?.code === 'string' ? inner.code : undefined;
    this.requestId = headers.get('x-request-id') ?? undefined;
  }
}

/** 401: the project key is unknown or missing (or, with signed identities, the token is invalid). */
export class AuthError extends ApiError {
  override name = 'AuthError';
}

/** 400: the request is invalid; `field` names the offending value (e.g. `identity`). */
export class ValidationError extends ApiError {
  override name = 'ValidationError';
  readonly field: string | undefined = (this.body as { field?: string } | null)?.field;
}

/** 502: the provider failed (network error, 5xx, timeout), or a stream carried an error event. */
export class UpstreamError extends ApiError {
  override name = 'UpstreamError';
}

/** The request was denied by a limit or rule (429, or a blocking rule's own 4xx status). Never retried automatically. */
export class LimitExceededError extends ApiError {
  override name = 'LimitExceededError';
  /** The limit response: `message`, `deepLink` and any field the project or rule configured. */
  readonly response: LimitResponse = this.body && typeof this.body === 'object' ? (this.body as LimitResponse) : {};
  /** Seconds until a retry can succeed (`Retry-After`), when sent. */
  readonly retryAfter: number | undefined = retryAfterOf(this.headers);
  /** The rate-limit state when the request was denied. */
  readonly rateLimit: RateLimit = rateLimitOf(this.headers);
}

/** The server could not be reached, or the connection broke before the response was complete. */
export class ConnectionError extends AiRatelimitError {
  override name = 'ConnectionError';
  constructor(message: string, cause?: unknown) {
    super(message);
    // Assigned rather than passed to `super` so that engines without ES2022 error causes keep it too.
    this.cause = cause;
  }
}

/** `timeoutMs` passed without an answer (or, in a stream, without the next chunk). */
export class ConnectionTimeoutError extends ConnectionError {
  override name = 'ConnectionTimeoutError';
}

/** The error for an HTTP error response; `body` is already parsed. */
export function errorFor(status: number, headers: Headers, body: unknown): ApiError {
  // A denial always carries the limiter's reset header; a provider's own 4xx passed through does not.
  const Kind =
    status === 429 || (status < 500 && headers.has('x-ratelimit-reset'))
      ? LimitExceededError
      : status === 401
        ? AuthError
        : status === 400
          ? ValidationError
          : status === 502
            ? UpstreamError
            : ApiError;
  return new Kind(status, headers, body);
}
