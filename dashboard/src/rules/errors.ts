// Where a server validation error (`field`, e.g. `rules[0].condition.conditions[1].operator`)
// belongs in the builder: which rule, which condition (by nesting path) or the action, and
// which input.

export interface RuleFieldError {
  rule: number;
  /** `condition`: `path` indexes nested conditions; `action`; or the rule itself. */
  part: 'condition' | 'action' | 'rule';
  path: number[];
  /** The input, e.g. `operator`; `undefined` for the condition, action or rule as a whole. */
  name: string | undefined;
  message: string;
}

export function parseRuleField(field: string, message: string): RuleFieldError | null {
  const head = field.match(/^rules\[(\d+)\](?:\.(.*))?$/);
  if (!head) return null;
  const rule = Number(head[1]);
  const rest = head[2] ?? '';
  if (rest === '' || !/^(condition|action)/.test(rest)) {
    return { rule, part: 'rule', path: [], name: rest || undefined, message };
  }
  if (rest.startsWith('action')) {
    const name = rest.slice('action'.length).replace(/^\./, '').split('.')[0];
    return { rule, part: 'action', path: [], name: name || undefined, message };
  }
  const path: number[] = [];
  let tail = rest.slice('condition'.length);
  for (;;) {
    const nested = tail.match(/^\.conditions\[(\d+)\]/);
    if (!nested) break;
    path.push(Number(nested[1]));
    tail = tail.slice(nested[0].length);
  }
  const name = tail.replace(/^\./, '').split(/[.[]/)[0];
  return { rule, part: 'condition', path, name: name || undefined, message };
}

export function samePath(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
