// The API's error shape (`{"error", "message", "field"?}`) as a thrown Error.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Path of the offending value, e.g. `rules[0].condition.operator`. */
  readonly field: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, field?: string, retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

interface ErrorBody {
  error?: unknown;
  message?: unknown;
  field?: unknown;
}

export function toApiError(response: Response, body: unknown): ApiError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as ErrorBody;
  const code = typeof b.error === 'string' ? b.error : `http_${response.status}`;
  const message = typeof b.message === 'string' ? b.message : response.statusText || 'The request failed';
  const field = typeof b.field === 'string' ? b.field : undefined;
  const retry = Number(response.headers.get('retry-after'));
  return new ApiError(response.status, code, message, field, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}

/** A sentence for people, with the first letter up. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return error.message;
    if (error.code === 'rate_limited') {
      const wait = error.retryAfter ? ` Try again in ${Math.ceil(error.retryAfter / 60)} min.` : '';
      return `Too many attempts.${wait}`;
    }
    if (error.status >= 500) return 'The server had a problem. Please try again in a moment.';
    return capitalize(error.message);
  }
  return error instanceof Error ? capitalize(error.message) : 'Something went wrong.';
}

export function capitalize(text: string): string {
  const t = text.trim();
  const sentence = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
