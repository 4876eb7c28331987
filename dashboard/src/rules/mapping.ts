// The rule builder's drafts to and from the API's JSON. `toApi(fromApi(rules))` equals the
// rules as the server returns them, so whatever the builder saves loads back unchanged.
import { parseObject, type JsonObject } from '../lib/json';
import type { ActionJson, ConditionJson, RuleJson } from './json';
import { type ActionDraft, type ConditionDraft, newKey, type RuleDraft } from './model';

export function conditionFromApi(c: ConditionJson): ConditionDraft {
  const key = newKey();
  switch (c.type) {
    case 'usage_percent':
    case 'usage_absolute':
      return {
        key,
        type: c.type,
        metric: c.metric ?? 'requests',
        operator: (c.operator ?? 'gte') as 'gte',
        threshold: c.threshold === undefined ? '' : String(c.threshold),
      };
    case 'tier_match':
      return { key, type: c.type, tiers: c.values ?? (c.value === undefined ? [] : [c.value]) };
    case 'composite':
      return {
        key,
        type: c.type,
        operator: c.operator === 'or' ? 'or' : 'and',
        conditions: (c.conditions ?? []).map(conditionFromApi),
      };
  }
}

export function actionFromApi(a: ActionJson): ActionDraft {
  switch (a.type) {
    case 'allow':
      return { type: 'allow' };
    case 'block':
      return { type: 'block', message: a.message ?? '' };
    case 'custom_response':
      return {
        type: 'custom_response',
        status: a.status === undefined ? '' : String(a.status),
        block: a.block ?? true,
        responseText: JSON.stringify(a.response ?? {}, null, 2),
      };
  }
}

export function ruleFromApi(r: RuleJson, index: number): RuleDraft {
  return {
    key: newKey(),
    // The server names rules without an id `rule-<position>`.
    id: r.id ?? `rule-${index + 1}`,
    name: r.name ?? '',
    enabled: r.enabled ?? true,
    condition: conditionFromApi(r.condition),
    action: actionFromApi(r.action),
  };
}

export function rulesFromApi(rules: RuleJson[]): RuleDraft[] {
  return rules.map(ruleFromApi);
}

/** A draft value that cannot be sent, with the API path it belongs to. */
export class DraftError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

function number(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

export function conditionToApi(c: ConditionDraft): ConditionJson {
  switch (c.type) {
    case 'usage_percent':
    case 'usage_absolute': {
      const threshold = number(c.threshold);
      return { type: c.type, metric: c.metric, operator: c.operator, ...(threshold === undefined ? {} : { threshold }) };
    }
    case 'tier_match': {
      // One name is `value`, as the server writes it back; several (or none) are `values`.
      const names = c.tiers.map((t) => t.trim()).filter((t) => t !== '');
      return names.length === 1 ? { type: c.type, value: names[0] ?? '' } : { type: c.type, values: names };
    }
    case 'composite':
      return { type: c.type, operator: c.operator, conditions: c.conditions.map(conditionToApi) };
  }
}

/**
 * The action's JSON. A response that is not a JSON object throws a DraftError naming
 * `<path>.response`, unless `lenient`, which puts the text itself there (for the preview).
 */
export function actionToApi(a: ActionDraft, path: string, lenient = false): ActionJson {
  switch (a.type) {
    case 'allow':
      return { type: 'allow' };
    case 'block':
      return a.message === '' ? { type: 'block' } : { type: 'block', message: a.message };
    case 'custom_response': {
      const parsed = parseObject(a.responseText);
      let response: JsonObject;
      if ('value' in parsed) response = parsed.value;
      else if (lenient) response = { '(invalid JSON)': a.responseText };
      else throw new DraftError(`${path}.response`, parsed.error);
      const status = number(a.status);
      return { type: 'custom_response', response, ...(status === undefined ? {} : { status }), block: a.block };
    }
  }
}

export function ruleToApi(r: RuleDraft, index: number, lenient = false): RuleJson {
  return {
    id: r.id,
    name: r.name,
    enabled: r.enabled,
    condition: conditionToApi(r.condition),
    action: actionToApi(r.action, `rules[${index}].action`, lenient),
  };
}

export function rulesToApi(rules: RuleDraft[], lenient = false): RuleJson[] {
  return rules.map((r, i) => ruleToApi(r, i, lenient));
}
