import { describe, expect, it } from 'vitest';

import type { ConditionJson, RuleJson } from '../../src/rules/json';
import { DraftError, rulesFromApi, rulesToApi } from '../../src/rules/mapping';
import { changeConditionType, newCondition, newRule, type CompositeCondition, type UsageCondition } from '../../src/rules/model';
import { parseRuleField } from '../../src/rules/errors';

// Rules as the server answers them: ids, names and `enabled` always present, custom
// responses with `status` and `block`, one tier as `value`, keys sorted.
const serverRules: RuleJson[] = [
  {
    id: 'warn-80',
    name: '80% warning',
    enabled: true,
    condition: { type: 'usage_percent', metric: 'requests', operator: 'gte', threshold: 80 },
    action: {
      type: 'custom_response',
      block: false,
      status: 429,
      response: { deepLink: 'myapp://upgrade', message: '{{used}} of {{limit}} used', nested: { list: [1, 'x', null] } },
    },
  },
  {
    id: 'tokens',
    name: '',
    enabled: false,
    condition: { type: 'usage_absolute', metric: 'tokens', operator: 'lt', threshold: 0.5 },
    action: { type: 'block', message: 'Too many tokens' },
  },
  {
    id: 'pro',
    name: 'Pro passes',
    enabled: true,
    condition: { type: 'tier_match', value: 'pro' },
    action: { type: 'allow' },
  },
  {
    id: 'teams',
    name: 'Teams',
    enabled: true,
    condition: { type: 'tier_match', values: ['team', 'enterprise'] },
    action: { type: 'block' },
  },
  {
    id: 'mixed',
    name: 'Nested',
    enabled: true,
    condition: {
      type: 'composite',
      operator: 'or',
      conditions: [
        { type: 'tier_match', value: 'free' },
        {
          type: 'composite',
          operator: 'and',
          conditions: [
            { type: 'usage_percent', metric: 'tokens', operator: 'gt', threshold: 90 },
            { type: 'usage_absolute', metric: 'requests', operator: 'eq', threshold: 3 },
          ],
        },
        { type: 'composite', operator: 'and', conditions: [] },
      ],
    },
    action: { type: 'custom_response', block: true, status: 402, response: { error: 'payment_required' } },
  },
];

function nested(depth: number): ConditionJson {
  let c: ConditionJson = { type: 'tier_match', value: 'free' };
  for (let i = 1; i < depth; i++) c = { type: 'composite', operator: i % 2 ? 'and' : 'or', conditions: [c] };
  return c;
}

describe('rule builder mapping', () => {
  it('loads every condition and action type and writes it back unchanged', () => {
    expect(rulesToApi(rulesFromApi(serverRules))).toEqual(serverRules);
  });

  it('keeps composites eight levels deep', () => {
    const rules: RuleJson[] = [{ id: 'deep', name: '', enabled: true, condition: nested(8), action: { type: 'allow' } }];
    expect(rulesToApi(rulesFromApi(rules))).toEqual(rules);
  });

  it('gives the drafts editable text and unique keys', () => {
    const [warn, tokens, , teams, mixed] = rulesFromApi(serverRules);
    expect(warn?.condition).toMatchObject({ type: 'usage_percent', threshold: '80' });
    expect(warn?.action).toMatchObject({ type: 'custom_response', status: '429', block: false });
    expect(tokens?.condition).toMatchObject({ threshold: '0.5' });
    expect(teams?.condition).toMatchObject({ type: 'tier_match', tiers: ['team', 'enterprise'] });
    const group = mixed?.condition as CompositeCondition;
    const keys = [group.key, ...group.conditions.map((c) => c.key)];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('names rules without an id as the server does', () => {
    const [draft] = rulesFromApi([{ condition: { type: 'tier_match', value: 'a' }, action: { type: 'allow' } }]);
    expect(draft).toMatchObject({ id: 'rule-1', name: '', enabled: true });
  });

  it('writes a new rule in the shape the server answers', () => {
    const rule = newRule(['rule-1']);
    const [json] = rulesToApi([rule]);
    expect(json).toMatchObject({
      id: 'rule-2',
      name: '',
      enabled: true,
      condition: { type: 'usage_percent', metric: 'requests', operator: 'gte', threshold: 80 },
      action: { type: 'custom_response', status: 429, block: false },
    });
    expect(json?.action.response).toHaveProperty('message');
  });

  it('leaves out empty inputs so the server names them', () => {
    const rule = newRule([]);
    rule.condition = { ...newCondition('usage_absolute'), threshold: '' } as typeof rule.condition;
    rule.action = { type: 'custom_response', status: '', block: true, responseText: '{}' };
    const [json] = rulesToApi([rule]);
    expect(json?.condition).not.toHaveProperty('threshold');
    expect(json?.action).not.toHaveProperty('status');
    const none = { ...newCondition('tier_match'), tiers: [] };
    expect(rulesToApi([{ ...rule, condition: none }])[0]?.condition).toEqual({ type: 'tier_match', values: [] });
  });

  it('refuses a response that is not a JSON object, naming its field', () => {
    const rule = newRule([]);
    rule.action = { type: 'custom_response', status: '429', block: true, responseText: '[1, 2]' };
    const other = newRule([]);
    expect(() => rulesToApi([other, rule])).toThrowError(DraftError);
    try {
      rulesToApi([other, rule]);
    } catch (e) {
      expect((e as DraftError).field).toBe('rules[1].action.response');
    }
    // The preview shows the text instead.
    expect(rulesToApi([rule], true)[0]?.action.response).toEqual({ '(invalid JSON)': '[1, 2]' });
  });

  it('keeps metric, operator and threshold when switching between usage types, and wraps into a group', () => {
    const percent: UsageCondition = { key: 'p', type: 'usage_percent', metric: 'tokens', operator: 'lt', threshold: '5' };
    expect(changeConditionType(percent, 'usage_absolute')).toMatchObject({
      type: 'usage_absolute',
      metric: 'tokens',
      operator: 'lt',
      threshold: '5',
    });
    const group = changeConditionType(percent, 'composite') as CompositeCondition;
    expect(group.conditions).toEqual([percent]);
  });
});

describe('server error paths', () => {
  it('finds the rule, nested condition and input', () => {
    expect(parseRuleField('rules[2].condition.conditions[1].conditions[0].operator', 'bad')).toEqual({
      rule: 2,
      part: 'condition',
      path: [1, 0],
      name: 'operator',
      message: 'bad',
    });
    expect(parseRuleField('rules[0].condition.threshold', 'm')).toMatchObject({ part: 'condition', path: [], name: 'threshold' });
    expect(parseRuleField('rules[0].condition.conditions[0]', 'deep')).toMatchObject({ path: [0], name: undefined });
    expect(parseRuleField('rules[3].action.status', 'm')).toMatchObject({ rule: 3, part: 'action', name: 'status' });
    expect(parseRuleField('rules[1]', 'm')).toMatchObject({ rule: 1, part: 'rule', name: undefined });
    expect(parseRuleField('tiers.pro', 'm')).toBeNull();
  });
});
