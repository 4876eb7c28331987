// A server-sent events parser reduced to what the proxy sends: `data:` lines, events ended by
// a blank line. Fed text as it arrives; chunk boundaries may fall anywhere, even inside "\r\n".

/** Returns a feeder: give it the next text (and `end` on the last call), get the completed events' data. */
export function sseParser(): (text: string, end: boolean) => string[] {
  let buffer = '';
  let data: string[] = [];
  return (text, end) => {
    buffer += text;
    // A trailing "\r" may be the first half of "\r\n": keep it for the next call.
    const cut = end || !buffer.endsWith('\r') ? buffer.length : buffer.length - 1;
    const lines = buffer.slice(0, cut).split(/\r\n|\r|\n/);
    buffer = end ? '' : (lines.pop() ?? '') + buffer.slice(cut);
    const out: string[] = [];
    for (const line of lines) {
      if (line === '') {
        if (data.length) out.push(data.join('\n'));
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.slice(line[5] === ' ' ? 6 : 5));
      }
      // Comments (":…"), `event:`, `id:` and `retry:` carry nothing this API uses. An event
      // not ended by a blank line when the stream ends is dropped, as the SSE standard says.
    }
    return out;
  };
}
