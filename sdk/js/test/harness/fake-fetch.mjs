// A fetch that never touches the network, for what the real server cannot be made to send
// (another header syntax, a torn stream, a missing body). It records each call.

/** `respond(call)` returns a Response; `calls` holds `{ url, init, headers, body }` for each call. */
export function fakeFetch(respond) {
  const calls = [];
  const fetch = async (url, init) => {
    const call = { url, init, headers: new Headers(init.headers), body: init.body ? JSON.parse(init.body) : undefined };
    calls.push(call);
    return respond(call);
  };
  return { fetch, calls };
}

/** A body that delivers `pieces` (strings or bytes) one read at a time, waiting `delayMs` before each. */
export function pieces(parts, delayMs = 0) {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream({
    async pull(controller) {
      if (delayMs) await new Promise((ok) => setTimeout(ok, delayMs));
      if (i === parts.length) return controller.close();
      const part = parts[i++];
      controller.enqueue(typeof part === 'string' ? encoder.encode(part) : part);
    },
  });
}

/** A body that delivers `parts` and then never another byte (until cancelled). */
export function stalled(parts) {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
    },
  });
}

export const sse = { 'content-type': 'text/event-stream' };

/** One `data:` frame of a content chunk. */
export const frame = (content) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

/** A chat completion body. */
export const completion = (content = 'ok') => ({
  id: 'c',
  object: 'chat.completion',
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
});
