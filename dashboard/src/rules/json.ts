// Rules as the API writes them (ai-ratelimit-core's policy/rule.rs: RuleConfig, one flat
// shape per condition and action).
import type { JsonObject } from '../lib/json';

export type Metric = 'requests' | 'tokens';
export type Comparison = 'gt' | 'gte' | 'lt' | 'lte' | 'eq';
export type Logic = 'and' | 'or';
export type ConditionType = 'usage_percent' | 'usage_absolute' | 'tier_match' | 'composite';
export type ActionType = 'allow' | 'block' | 'custom_response';

export interface ConditionJson {
  type: ConditionType;
  metric?: Metric;
  /** A comparison for usage conditions, `and`/`or` for composites. */
  operator?: string;
  threshold?: number;
  value?: string;
  values?: string[];
  conditions?: ConditionJson[];
}

export interface ActionJson {
  type: ActionType;
  response?: JsonObject;
  status?: number;
  block?: boolean;
  message?: string;
}

export interface RuleJson {
  id?: string;
  name?: string;
  enabled?: boolean;
  condition: ConditionJson;
  action: ActionJson;
}

/** The server's deepest nesting: a rule's top condition is level 1. */
export const MAX_CONDITION_DEPTH = 8;
