// The rule builder's editable form of rules. Inputs hold text (a number field may be empty
// while typing); `key`s identify items for React and never reach the API.

import type { ActionType, Comparison, ConditionType, Logic, Metric } from './json';

export interface UsageCondition {
  key: string;
  type: 'usage_percent' | 'usage_absolute';
  metric: Metric;
  operator: Comparison;
  /** `''` = not given. */
  threshold: string;
}

export interface TierCondition {
  key: string;
  type: 'tier_match';
  tiers: string[];
}

export interface CompositeCondition {
  key: string;
  type: 'composite';
  operator: Logic;
  conditions: ConditionDraft[];
}

export type ConditionDraft = UsageCondition | TierCondition | CompositeCondition;

export type ActionDraft =
  | { type: 'allow' }
  | { type: 'block'; /** `''` = the server's default message. */ message: string }
  | {
      type: 'custom_response';
      /** `''` = the server's default, 429. */
      status: string;
      block: boolean;
      /** The `response` object as JSON text (the source of truth while editing). */
      responseText: string;
    };

export interface RuleDraft {
  key: string;
  id: string;
  name: string;
  enabled: boolean;
  condition: ConditionDraft;
  action: ActionDraft;
}

export const CONDITION_TYPES: { value: ConditionType; label: string }[] = [
  { value: 'usage_percent', label: 'Usage, % of limit' },
  { value: 'usage_absolute', label: 'Usage, absolute' },
  { value: 'tier_match', label: 'Tier is' },
  { value: 'composite', label: 'Group (AND / OR)' },
];

export const COMPARISONS: { value: Comparison; label: string }[] = [
  { value: 'gte', label: '≥ at least' },
  { value: 'gt', label: '> more than' },
  { value: 'eq', label: '= exactly' },
  { value: 'lte', label: '≤ at most' },
  { value: 'lt', label: '< less than' },
];

export const ACTION_TYPES: { value: ActionType; label: string; hint: string }[] = [
  { value: 'custom_response', label: 'Custom response', hint: 'Answer with your JSON: block, or warn and continue' },
  { value: 'block', label: 'Block', hint: 'Deny with 429 "blocked"' },
  { value: 'allow', label: 'Allow', hint: 'Stop checking rules; base limits still apply' },
];

let counter = 0;
export function newKey(): string {
  counter += 1;
  return `k${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export function newCondition(type: ConditionType = 'usage_percent'): ConditionDraft {
  const key = newKey();
  switch (type) {
    case 'usage_percent':
      return { key, type, metric: 'requests', operator: 'gte', threshold: '80' };
    case 'usage_absolute':
      return { key, type, metric: 'requests', operator: 'gte', threshold: '100' };
    case 'tier_match':
      return { key, type, tiers: [''] };
    case 'composite':
      return { key, type, operator: 'and', conditions: [newCondition('usage_percent')] };
  }
}

/** Switches a condition's type, keeping what still applies (metric, operator, threshold). */
export function changeConditionType(condition: ConditionDraft, type: ConditionType): ConditionDraft {
  const next = newCondition(type);
  if (condition.type !== 'composite' && condition.type !== 'tier_match' && next.type !== 'composite' && next.type !== 'tier_match') {
    return { ...next, metric: condition.metric, operator: condition.operator, threshold: condition.threshold };
  }
  if (type === 'composite' && condition.type !== 'composite') {
    // Wrapping: the old condition becomes the group's first member.
    return { key: next.key, type: 'composite', operator: 'and', conditions: [condition] };
  }
  return next;
}

export function newAction(type: ActionType = 'custom_response'): ActionDraft {
  switch (type) {
    case 'allow':
      return { type };
    case 'block':
      return { type, message: '' };
    case 'custom_response':
      return {
        type,
        status: '429',
        block: false,
        responseText: JSON.stringify(
          { warning: 'limit_warning', message: 'You have used {{percent}}% of your {{metric}} for this period.' },
          null,
          2,
        ),
      };
  }
}

export function newRule(existingIds: string[]): RuleDraft {
  let n = existingIds.length + 1;
  while (existingIds.includes(`rule-${n}`)) n += 1;
  return {
    key: newKey(),
    id: `rule-${n}`,
    name: '',
    enabled: true,
    condition: newCondition('usage_percent'),
    action: newAction('custom_response'),
  };
}
