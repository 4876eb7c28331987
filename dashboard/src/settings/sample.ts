// Sample values for previews of templated responses: an identity that just used up its limit.
import type { Project } from '../api/types';
import type { TemplateValues } from '../lib/template';
import { enforcesRequests } from './limits';

/** When the current period of `window` ends (UTC): the `{{resetAt}}` of a denial now. */
export function nextReset(window: Project['window'], now = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours()));
  switch (window ?? 'day') {
    case 'hour':
      d.setUTCHours(d.getUTCHours() + 1);
      break;
    case 'day':
      d.setUTCHours(24, 0, 0, 0);
      break;
    case 'week':
      d.setUTCHours(0);
      d.setUTCDate(d.getUTCDate() + (8 - (d.getUTCDay() || 7)));
      break;
    case 'month':
      d.setUTCHours(0);
      d.setUTCDate(1);
      d.setUTCMonth(d.getUTCMonth() + 1);
      break;
  }
  return d.toISOString().replace('.000Z', 'Z');
}

export function sampleValues(project: Project, tier: string | null = null): TemplateValues {
  const metric = enforcesRequests(project.limitType) ? 'requests' : 'tokens';
  const limits = tier ? project.tiers[tier] : undefined;
  const limit =
    metric === 'requests'
      ? limits
        ? limits.requestLimit
        : (project.dailyRequestLimit ?? null)
      : limits
        ? limits.tokenLimit
        : (project.dailyTokenLimit ?? null);
  return { used: limit ?? 100, limit, tier, metric, resetAt: nextReset(project.window) };
}
