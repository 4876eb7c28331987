// The server's `{{variable}}` substitution in custom responses (ai-ratelimit-core's
// policy/template.rs), for previews: every string at any depth, keys excepted; unknown
// variables stay as written.
import type { Json } from './json';

export interface TemplateValues {
  used: number;
  /** `null` = unlimited. */
  limit: number | null;
  tier: string | null;
  metric: 'requests' | 'tokens';
  /** RFC 3339, seconds precision. */
  resetAt: string;
}

export const TEMPLATE_VARIABLES = ['used', 'limit', 'remaining', 'percent', 'tier', 'metric', 'resetAt'] as const;

function lookup(v: TemplateValues, name: string): string | undefined {
  switch (name) {
    case 'used':
      return String(v.used);
    case 'limit':
      return v.limit === null ? 'unlimited' : String(v.limit);
    case 'remaining':
      return v.limit === null ? 'unlimited' : String(Math.max(0, v.limit - v.used));
    case 'percent':
      return v.limit === null ? '0' : v.limit === 0 ? '100' : String(Math.floor((v.used * 100) / v.limit));
    case 'tier':
      return v.tier ?? '';
    case 'metric':
      return v.metric;
    case 'resetAt':
      return v.resetAt;
    default:
      return undefined;
  }
}

export function renderString(text: string, values: TemplateValues): string {
  let out = '';
  let rest = text;
  for (;;) {
    const open = rest.indexOf('{{');
    if (open < 0) return out + rest;
    out += rest.slice(0, open);
    const after = rest.slice(open + 2);
    const close = after.indexOf('}}');
    if (close < 0) return out + rest.slice(open);
    const filled = lookup(values, after.slice(0, close).trim());
    out += filled ?? rest.slice(open, open + 2 + close + 2);
    rest = after.slice(close + 2);
  }
}

export function renderTemplate(template: Json, values: TemplateValues): Json {
  if (typeof template === 'string') return renderString(template, values);
  if (Array.isArray(template)) return template.map((item) => renderTemplate(item, values));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, renderTemplate(v, values)]));
  }
  return template;
}
