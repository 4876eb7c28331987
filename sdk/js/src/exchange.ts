// One HTTP exchange with the server: a fetch that the timeout, the caller's AbortSignal or the
// SDK itself can cancel, and the one place where failures become the SDK's errors.
import { AiRatelimitError, ApiError, ConnectionError, ConnectionTimeoutError, errorFor } from './errors';

/** The resolved client options every exchange needs. */
export interface Config {
  base: string;
  projectKey: string;
  fetch: typeof fetch;
  timeoutMs: number;
  headers: Record<string, string>;
}

/** The body as JSON when it parses, else its text (undefined when empty). */
export const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text || undefined;
  }
};

export class Exchange {
  /** Aborting it cancels the request or, once answered, the response body (closing the connection). */
  readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  private readonly unlink: () => void;

  constructor(
    private readonly config: Config,
    signal: AbortSignal | undefined,
  ) {
    const onAbort = (): void => {
      this.controller.abort(signal?.reason);
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort);
    this.unlink = () => signal?.removeEventListener('abort', onAbort);
  }

  /**
   * Runs one wait on the server (the response, the body, the next chunk) under the timeout.
   * The timer runs only while waiting, so a slow consumer of a stream never times it out.
   */
  async step<T>(work: () => Promise<T>): Promise<T> {
    const { timeoutMs } = this.config;
    const { signal } = this.controller;
    if (timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.controller.abort();
      }, timeoutMs);
    }
    // Not every fetch (polyfills, custom ones) ends a body read when its signal aborts: the race does.
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        // The abort's own reason, whatever it is: the caller's, as fetch rejects with it.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(signal.reason);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort);
    });
    try {
      return await Promise.race([work(), aborted]);
    } catch (e) {
      this.end();
      throw this.failure(e);
    } finally {
      clearTimeout(this.timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** POSTs `body` as JSON; resolves with a 2xx response and throws an error status as its ApiError. */
  post(path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
    return this.step(async () => {
      const response = await this.config.fetch(this.config.base + path, {
        method: 'POST',
        headers: { ...this.config.headers, ...headers, 'content-type': 'application/json', 'x-project-key': this.config.projectKey },
        body: JSON.stringify(body),
        signal: this.controller.signal,
      });
      if (response.ok) return response;
      throw errorFor(response.status, response.headers, parsed(await response.text()));
    });
  }

  /** The body of a 2xx response, parsed; a body that is not JSON is an ApiError. */
  async json(response: Response): Promise<unknown> {
    const text = await this.step(() => response.text());
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(response.status, response.headers, text, 'The response is not JSON');
    }
  }

  /** Stops the timeout and lets go of the caller's signal. */
  end(): void {
    clearTimeout(this.timer);
    this.unlink();
  }

  private failure(e: unknown): unknown {
    if (e instanceof AiRatelimitError) return e;
    const { timeoutMs } = this.config;
    if (this.timedOut) return new ConnectionTimeoutError(`No answer from the server within ${timeoutMs} ms`, e);
    // Cancelled by the caller: their signal's reason, as fetch itself rejects.
    if (this.controller.signal.aborted) return this.controller.signal.reason ?? e;
    return new ConnectionError(`Connection error: ${(e as Error | undefined)?.message ?? String(e)}`, e);
  }
}
