// The API's objects: the generated OpenAPI types, narrowed where the document says only
// "object" (tiers, rules, the limit-exceeded response).
import type { JsonObject } from '../lib/json';
import type { RuleJson } from '../rules/json';
import type { components, paths } from './schema';

type Schemas = components['schemas'];

export type User = Schemas['User'];
export type UsageSummary = Schemas['UsageSummary'];
export type IdentityUsage = Schemas['IdentityUsageView'];
export type IdentityPage = Schemas['IdentityUsagePage'];
export type HistoryDayJson = Schemas['HistoryDay'];
export type Provider = Schemas['Provider'];
type JsonBody<T> = T extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
/** The body of `POST /api/projects`. */
export type ProjectCreate = JsonBody<paths['/api/projects']['post']>;
/** The body of `PATCH /api/projects/{id}`. */
export type ProjectInput = JsonBody<paths['/api/projects/{id}']['patch']>;

export type LimitType = 'requests' | 'tokens' | 'both';
export type UsageWindow = 'hour' | 'day' | 'week' | 'month';

export interface TierLimits {
  requestLimit: number | null;
  tokenLimit: number | null;
}

export type Project = Omit<Schemas['ProjectView'], 'tiers' | 'rules' | 'limitExceededResponse' | 'limitType' | 'window'> & {
  limitType: LimitType;
  /** Absent means `day`. */
  window?: UsageWindow | null;
  tiers: Record<string, TierLimits>;
  rules: RuleJson[];
  limitExceededResponse?: JsonObject | null;
};

export function projectWindow(project: Pick<Project, 'window'>): UsageWindow {
  return project.window ?? 'day';
}

/** The server's Project object, with the fields its OpenAPI document calls "object" typed. */
export function asProject(view: Schemas['ProjectView']): Project {
  return view as unknown as Project;
}
