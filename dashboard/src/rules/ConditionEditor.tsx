// One condition of a rule, and (for groups) its nested conditions, down to the server's depth.
import { Button } from '../components/Button';
import { Segmented } from '../components/Choice';
import { Field } from '../components/Field';
import { capitalize } from '../api/errors';
import { type RuleFieldError, samePath } from './errors';
import { type Comparison, type ConditionType, MAX_CONDITION_DEPTH, type Metric } from './json';
import { changeConditionType, COMPARISONS, type ConditionDraft, CONDITION_TYPES, newCondition } from './model';

interface ConditionEditorProps {
  condition: ConditionDraft;
  onChange: (condition: ConditionDraft) => void;
  /** 1 for a rule's top condition. */
  depth: number;
  /** Indexes of nested conditions from the top one (API error paths use them). */
  path: number[];
  errors: RuleFieldError[];
  /** The project's tier names, offered for tier conditions. */
  tierNames: string[];
  onRemove?: () => void;
  /** For accessible names: "rule 2", "rule 2, condition 1.3". */
  label: string;
}

export function ConditionEditor(props: ConditionEditorProps) {
  const { condition, onChange, depth, path, errors, tierNames, onRemove, label } = props;
  const mine = errors.filter((e) => e.part === 'condition' && samePath(e.path, path));
  const known = ['type', 'metric', 'operator', 'threshold', 'value', 'values', 'conditions'];
  const errorOf = (...names: string[]) => {
    const e = mine.find((m) => m.name !== undefined && names.includes(m.name));
    return e ? capitalize(e.message) : undefined;
  };
  const general = mine.find((m) => m.name === undefined || !known.includes(m.name));
  const thresholdLabel = condition.type === 'usage_percent' ? 'Percent of limit' : 'Count';

  return (
    <div className={`condition condition-${condition.type}`} data-depth={depth}>
      <div className="condition-row">
        <Field label="Condition" className="field-compact" error={errorOf('type')}>
          {(control) => (
            <select
              className="select"
              value={condition.type}
              onChange={(e) => onChange(changeConditionType(condition, e.target.value as ConditionType))}
              {...control}
              aria-label={`Condition type, ${label}`}
            >
              {CONDITION_TYPES.map((t) => (
                <option key={t.value} value={t.value} disabled={t.value === 'composite' && depth >= MAX_CONDITION_DEPTH}>
                  {t.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {(condition.type === 'usage_percent' || condition.type === 'usage_absolute') && (
          <>
            <Field label="Metric" className="field-compact" error={errorOf('metric')}>
              {(control) => (
                <select className="select" value={condition.metric} onChange={(e) => onChange({ ...condition, metric: e.target.value as Metric })} {...control} aria-label={`Metric, ${label}`}>
                  <option value="requests">Requests</option>
                  <option value="tokens">Tokens</option>
                </select>
              )}
            </Field>
            <Field label="Comparison" className="field-compact" error={errorOf('operator')}>
              {(control) => (
                <select
                  className="select"
                  value={condition.operator}
                  onChange={(e) => onChange({ ...condition, operator: e.target.value as Comparison })}
                  {...control}
                  aria-label={`Comparison, ${label}`}
                >
                  {COMPARISONS.map((c) => (
                    <option key={c.value} value={c.value}>
                      {c.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label={thresholdLabel} className="field-compact" error={errorOf('threshold')}>
              {(control) => (
                <div className="input-suffix">
                  <input
                    className="input tabular"
                    type="number"
                    min={0}
                    step="any"
                    value={condition.threshold}
                    onChange={(e) => onChange({ ...condition, threshold: e.target.value })}
                    {...control}
                    aria-label={`${thresholdLabel}, ${label}`}
                  />
                  {condition.type === 'usage_percent' && <span aria-hidden="true">%</span>}
                </div>
              )}
            </Field>
          </>
        )}
        {condition.type === 'tier_match' && (
          <Field label="Tiers" className="field-compact field-grow" error={errorOf('value', 'values')} hint="Comma-separated; matches when the request's tier is one of them.">
            {(control) => (
              <input
                className="input"
                spellCheck={false}
                placeholder="free, trial"
                value={condition.tiers.join(', ')}
                onChange={(e) => onChange({ ...condition, tiers: e.target.value.split(',').map((t) => t.replace(/^\s+/, '')) })}
                {...control}
                aria-label={`Tiers, ${label}`}
              />
            )}
          </Field>
        )}
        {condition.type === 'composite' && (
          <div className="field field-compact">
            <span className="field-label" aria-hidden="true">
              Match
            </span>
            <Segmented
              label={`Match, ${label}`}
              value={condition.operator}
              onChange={(operator) => onChange({ ...condition, operator })}
              options={[
                { value: 'and', label: 'All (AND)' },
                { value: 'or', label: 'Any (OR)' },
              ]}
            />
            {errorOf('operator') && <p className="field-error">{errorOf('operator')}</p>}
          </div>
        )}
        {onRemove && (
          <Button variant="ghost" size="sm" className="condition-remove" aria-label={`Remove ${label}`} onClick={onRemove}>
            ✕
          </Button>
        )}
      </div>
      {condition.type === 'tier_match' && tierNames.some((t) => !condition.tiers.includes(t)) && (
        <div className="row tier-suggestions">
          <span className="muted">Your tiers:</span>
          {tierNames
            .filter((t) => !condition.tiers.includes(t))
            .map((t) => (
              <Button
                key={t}
                size="sm"
                variant="ghost"
                aria-label={`Add tier ${t} to ${label}`}
                onClick={() => onChange({ ...condition, tiers: [...condition.tiers.filter((x) => x.trim() !== ''), t] })}
              >
                + {t}
              </Button>
            ))}
        </div>
      )}
      {general && <p className="field-error">{capitalize(general.message)}</p>}
      {condition.type === 'composite' && (
        <div className="condition-group">
          {condition.conditions.length === 0 && (
            <p className="muted" style={{ fontSize: 'var(--text-sm)' }}>
              An empty group: {condition.operator === 'and' ? 'always holds' : 'never holds'}.
            </p>
          )}
          {condition.conditions.map((child, i) => (
            <ConditionEditor
              key={child.key}
              condition={child}
              depth={depth + 1}
              path={[...path, i]}
              errors={errors}
              tierNames={tierNames}
              label={`${label}.${i + 1}`}
              onChange={(next) => onChange({ ...condition, conditions: condition.conditions.map((c, j) => (j === i ? next : c)) })}
              onRemove={() => onChange({ ...condition, conditions: condition.conditions.filter((_, j) => j !== i) })}
            />
          ))}
          {depth < MAX_CONDITION_DEPTH ? (
            <div className="row">
              <Button size="sm" variant="ghost" onClick={() => onChange({ ...condition, conditions: [...condition.conditions, newCondition('usage_percent')] })}>
                + Condition
              </Button>
              {depth + 1 < MAX_CONDITION_DEPTH && (
                <Button size="sm" variant="ghost" onClick={() => onChange({ ...condition, conditions: [...condition.conditions, newCondition('composite')] })}>
                  + Group
                </Button>
              )}
            </div>
          ) : (
            <p className="muted" style={{ fontSize: 'var(--text-sm)' }}>
              Groups nest at most {MAX_CONDITION_DEPTH} levels deep.
            </p>
          )}
        </div>
      )}
    </div>
  );
}
