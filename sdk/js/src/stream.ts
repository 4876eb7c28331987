// `chatStream`: the proxy's OpenAI-format SSE as an async iterable of text, with the raw
// chunks, the final usage and the response headers at hand. Lazy: nothing is sent until the
// stream is iterated or opened, so a stream nobody reads never becomes an unhandled rejection.
import { ApiError, ConnectionError, UpstreamError } from './errors';
import { parsed, type Exchange } from './exchange';
import { metaOf } from './headers';
import { sseParser } from './sse';
import type { ChatCompletion, ChatCompletionChunk, LimitResponse, RateLimit, ResponseMeta, Usage } from './types';

/** Token counts in the SDK's shape, from the provider's `usage` object. */
export const usageOf = (u: ChatCompletion['usage'] | null | undefined): Usage | undefined =>
  u ? { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens, totalTokens: u.total_tokens } : undefined;

/** A streamed chat completion. Iterate it once: as text (`for await … of stream`) or as chunks (`stream.chunks()`). */
export class ChatStream implements AsyncIterable<string> {
  /** The rate-limit headers; set once the response has arrived. */
  rateLimit: RateLimit | undefined;
  /** The parsed `x-ratelimit-warning`; set once the response has arrived. */
  warning: LimitResponse | undefined;
  /** The server's `x-request-id`, when it sent one. */
  requestId: string | undefined;
  /** The response headers; set once the response has arrived. */
  headers: Headers | undefined;
  /** Token counts from the final chunk; set when the stream has reported them (at its end). */
  usage: Usage | undefined;
  private opening: Promise<Response> | undefined;
  private consumed = false;

  /** @internal */
  constructor(
    private readonly exchange: Exchange,
    private readonly send: () => Promise<Response>,
  ) {}

  /** Sends the request (once) and resolves when the response starts; a denial (429) or any error status rejects here. */
  async open(): Promise<ResponseMeta> {
    const meta = metaOf((await this.start()).headers);
    Object.assign(this, meta);
    return meta;
  }

  private start(): Promise<Response> {
    return (this.opening ??= this.send().then(async (r) => {
      // A body that is not a stream (a rule's custom 2xx answer, a misrouted request) is not content.
      if (!r.headers.get('content-type')?.includes('text/event-stream')) {
        throw new ApiError(r.status, r.headers, parsed(await this.exchange.step(() => r.text())), 'The response is not an event stream');
      }
      return r;
    }));
  }

  /** Cancels the request or the stream; the iterator then throws `reason` (by default an `AbortError`). */
  abort(reason?: unknown): void {
    this.exchange.controller.abort(reason);
  }

  /** The raw chunks, the usage-only last one included. Ends cleanly on `data: [DONE]`. */
  async *chunks(): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    if (this.consumed) throw new TypeError('A ChatStream can be iterated only once');
    this.consumed = true;
    let done = false;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      await this.open();
      const response = await this.start();
      const parse = sseParser();
      const decoder = new TextDecoder();
      // React Native's built-in fetch has no streaming body: read it whole instead.
      reader = response.body?.getReader();
      for (let end = false; !end; ) {
        let text: string;
        if (reader) {
          const current = reader;
          const read = await this.exchange.step(() => current.read());
          end = read.done;
          text = decoder.decode(read.value, { stream: !end });
        } else {
          text = await this.exchange.step(() => response.text());
          end = true;
        }
        for (const data of parse(text, end)) {
          if (data === '[DONE]') {
            done = true;
            return;
          }
          let chunk: ChatCompletionChunk & { error?: unknown };
          try {
            chunk = JSON.parse(data) as typeof chunk;
          } catch {
            throw new UpstreamError(502, response.headers, data, 'Malformed event in the stream');
          }
          // The provider failed after the stream began: what would have been a 502 before it.
          if (chunk.error) throw new UpstreamError(502, response.headers, chunk);
          if (chunk.usage) this.usage = usageOf(chunk.usage);
          yield chunk;
        }
      }
      throw new ConnectionError('The stream ended before data: [DONE]');
    } finally {
      this.exchange.end();
      // Left early (break, an error, an abort): close the connection so the server stops the upstream call.
      if (!done) {
        this.exchange.controller.abort();
        reader?.cancel().catch(() => undefined);
      }
    }
  }

  /** The text of each chunk's first choice, skipping chunks without any. */
  async *[Symbol.asyncIterator](): AsyncGenerator<string, void, undefined> {
    for await (const chunk of this.chunks()) {
      const text = chunk.choices?.[0]?.delta?.content;
      if (text) yield text;
    }
  }
}
