// What a response's headers tell: the rate-limit state (IETF draft-09 structured fields and
// the `x-ratelimit-*` names), the warning of a non-blocking rule, the request id, Retry-After.
import type { LimitResponse, RateLimit, RateLimitMetric, ResponseMeta } from './types';

type Params = Record<string, string>;

// One list member of an RFC 8941 List: a string or token, then `;key=value` parameters.
// Sticky, so a member that does not parse stops the list instead of being skipped over.
const MEMBER = /\s*("(?:[^"\\]|\\.)*"|[^\s;,]+)((?:\s*;\s*[^\s;,=]+(?:=(?:"(?:[^"\\]|\\.)*"|[^\s;,]*))?)*)\s*(?:,|$)/y;
const PARAM = /;\s*([^\s;,=]+)(?:=("(?:[^"\\]|\\.)*"|[^\s;,]*))?/g;

const unquote = (s: string): string => (s[0] === '"' ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s);

/** The members of a structured-field list, as `[name, parameters]`. */
function list(value: string | null): Array<[string, Params]> {
  const out: Array<[string, Params]> = [];
  if (!value) return out;
  MEMBER.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (MEMBER.lastIndex < value.length && (m = MEMBER.exec(value))) {
    const params: Params = {};
    for (const [, key = '', value = '?1'] of (m[2] ?? '').matchAll(PARAM)) params[key] = unquote(value);
    out.push([unquote(m[1] ?? ''), params]);
  }
  return out;
}

/** A non-negative number, or undefined for an absent or malformed value. */
const num = (value: string | null | undefined): number | undefined => {
  const n = value == null || value === '' ? NaN : Number(value);
  return n >= 0 ? n : undefined;
};

interface Seen {
  limit?: number | undefined;
  remaining?: number | undefined;
  reset?: number | undefined;
  window?: number | undefined;
}

/** The rate-limit state of a response, per metric; reset times are relative to `now`. */
export function rateLimitOf(headers: Headers, now = Date.now()): RateLimit {
  const seen: Record<string, Seen> = {};
  const get = (name: string): Seen => (seen[name] ??= {});
  const reset = num(headers.get('x-ratelimit-reset'));
  for (const metric of ['requests', 'tokens']) {
    const limit = num(headers.get(`x-ratelimit-limit-${metric}`));
    if (limit !== undefined) {
      Object.assign(get(metric), { limit, remaining: num(headers.get(`x-ratelimit-remaining-${metric}`)), reset });
    }
  }
  // The IETF fields name each policy; they win over the legacy names where both are sent.
  for (const [name, p] of list(headers.get('ratelimit-policy'))) {
    const m = get(name);
    m.limit = num(p.q) ?? m.limit;
    m.window = num(p.w) ?? m.window;
  }
  for (const [name, p] of list(headers.get('ratelimit'))) {
    const m = get(name);
    m.remaining = num(p.r) ?? m.remaining;
    m.reset = num(p.t) ?? m.reset;
  }
  const out: RateLimit = {};
  for (const [name, m] of Object.entries(seen)) {
    if (m.limit === undefined || m.remaining === undefined) continue;
    const metric: RateLimitMetric = { limit: m.limit, remaining: m.remaining, reset: new Date(now + (m.reset ?? reset ?? 0) * 1000) };
    if (m.window !== undefined) metric.window = m.window;
    out[name] = metric;
  }
  return out;
}

/** Parses a JSON object, or gives undefined (a malformed or non-object value is not an error). */
export function jsonObject(text: string | null | undefined): LimitResponse | undefined {
  try {
    const value: unknown = text ? JSON.parse(text) : undefined;
    return value && typeof value === 'object' ? (value as LimitResponse) : undefined;
  } catch {
    return undefined;
  }
}

/** Everything a response's headers tell besides its body. */
export const metaOf = (headers: Headers): ResponseMeta => ({
  rateLimit: rateLimitOf(headers),
  warning: jsonObject(headers.get('x-ratelimit-warning')),
  requestId: headers.get('x-request-id') ?? undefined,
  headers,
});

/** `Retry-After` in seconds: given as seconds, or as an HTTP date turned into seconds from now. */
export function retryAfterOf(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  const secs = num(value);
  if (secs !== undefined || !value) return secs;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
