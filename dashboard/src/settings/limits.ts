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

/** "2 requests per day", "10k tokens per hour", "Unlimited". */
export function describeLimits(p: Pick<Project, 'limitType' | 'dailyRequestLimit' | 'dailyTokenLimit' | 'window'>): string {
  const per = WINDOW_NOUN[p.window ?? 'day'];
  const parts: string[] = [];
  if (enforcesRequests(p.limitType) && p.dailyRequestLimit !== null && p.dailyRequestLimit !== undefined) {
    parts.push(`${compactNumber(p.dailyRequestLimit)} ${p.dailyRequestLimit === 1 ? 'request' : 'requests'}`);
  }
  if (enforcesTokens(p.limitType) && p.dailyTokenLimit !== null && p.dailyTokenLimit !== undefined) {
    parts.push(`${compactNumber(p.dailyTokenLimit)} tokens`);
  }
  return parts.length ? `${parts.join(' + ')} per user per ${per}` : `Unlimited (counted per ${per})`;
}
