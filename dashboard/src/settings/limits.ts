// The limit settings of a project as a form holds them, and their wording.
import type { LimitType, Project, UsageWindow } from '../api/types';
import { limitError, limitText, limitValue } from '../components/LimitInput';
import { compactNumber } from '../lib/format';

export interface LimitsDraft {
  limitType: LimitType;
  window: UsageWindow;
  /** `null` = unlimited. */
  requestLimit: string | null;
  tokenLimit: string | null;
}

export const LIMIT_TYPES: { value: LimitType; label: string; hint: string }[] = [
  { value: 'requests', label: 'Requests', hint: 'Count calls' },
  { value: 'tokens', label: 'Tokens', hint: 'Count prompt + completion tokens' },
  { value: 'both', label: 'Both', hint: 'Whichever runs out first' },
];

export const WINDOWS: { value: UsageWindow; label: string }[] = [
  { value: 'hour', label: 'Per hour' },
  { value: 'day', label: 'Per day' },
  { value: 'week', label: 'Per week' },
  { value: 'month', label: 'Per month' },
];

export const WINDOW_NOUN: Record<UsageWindow, string> = { hour: 'hour', day: 'day', week: 'week', month: 'month' };
export const WINDOW_CURRENT: Record<UsageWindow, string> = {
  hour: 'This hour',
  day: 'Today',
  week: 'This week',
  month: 'This month',
};

export function limitsDraft(project?: Project): LimitsDraft {
  return {
    limitType: project?.limitType ?? 'requests',
    window: project?.window ?? 'day',
    requestLimit: project ? limitText(project.dailyRequestLimit) : '100',
    tokenLimit: project ? limitText(project.dailyTokenLimit) : null,
  };
}

export const enforcesRequests = (t: LimitType) => t !== 'tokens';
export const enforcesTokens = (t: LimitType) => t !== 'requests';

/** Client-side errors, by API field. */
export function limitsErrors(d: LimitsDraft): Record<string, string> {
  const errors: Record<string, string> = {};
  const requests = enforcesRequests(d.limitType) ? limitError(d.requestLimit) : undefined;
  const tokens = enforcesTokens(d.limitType) ? limitError(d.tokenLimit) : undefined;
  if (requests) errors.dailyRequestLimit = requests;
  if (tokens) errors.dailyTokenLimit = tokens;
  return errors;
}

/** The API fields; a metric that is not enforced keeps its stored limit untouched. */
export function limitsBody(d: LimitsDraft) {
  return {
    limitType: d.limitType,
    window: d.window,
    ...(enforcesRequests(d.limitType) ? { dailyRequestLimit: limitValue(d.requestLimit) } : {}),
    ...(enforcesTokens(d.limitType) ? { dailyTokenLimit: limitValue(d.tokenLimit) } : {}),
  };
}

/** "2 requests per user per day", "Unlimited requests and 50k tokens per user per hour". */
export function describeLimits(p: Pick<Project, 'limitType' | 'dailyRequestLimit' | 'dailyTokenLimit' | 'window'>): string {
  const per = WINDOW_NOUN[p.window ?? 'day'];
  const requests = enforcesRequests(p.limitType) ? (p.dailyRequestLimit ?? null) : undefined;
  const tokens = enforcesTokens(p.limitType) ? (p.dailyTokenLimit ?? null) : undefined;
  if ((requests ?? null) === null && (tokens ?? null) === null) return `Unlimited (counted per user per ${per})`;
  const parts: string[] = [];
  if (requests !== undefined) parts.push(requests === null ? 'unlimited requests' : `${compactNumber(requests)} ${requests === 1 ? 'request' : 'requests'}`);
  if (tokens !== undefined) parts.push(tokens === null ? 'unlimited tokens' : `${compactNumber(tokens)} tokens`);
  const text = `${parts.join(' and ')} per user per ${per}`;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
