// One rule in the builder: name, on/off, order, condition and action.
import { capitalize } from '../api/errors';
import { Button } from '../components/Button';
import { Switch } from '../components/Choice';
import { ActionEditor } from './ActionEditor';
import { ConditionEditor } from './ConditionEditor';
import type { RuleFieldError } from './errors';
import type { RuleDraft } from './model';

interface RuleCardProps {
  rule: RuleDraft;
  index: number;
  count: number;
  onChange: (rule: RuleDraft) => void;
  onMove: (offset: -1 | 1) => void;
  onRemove: () => void;
  errors: RuleFieldError[];
  responseError: string | undefined;
  tierNames: string[];
}

export function RuleCard({ rule, index, count, onChange, onMove, onRemove, errors, responseError, tierNames }: RuleCardProps) {
  const label = `rule ${index + 1}`;
  const title = rule.name.trim() || `Rule ${index + 1}`;
  const ruleErrors = errors.filter((e) => e.part === 'rule');
  const hasErrors = errors.length > 0 || !!responseError;
  return (
    <li className={`card rule ${rule.enabled ? '' : 'rule-off'} ${hasErrors ? 'rule-invalid' : ''}`} aria-label={`Rule ${index + 1}: ${title}`} data-rule-index={index}>
      <header className="rule-header">
        <span className="rule-number" aria-hidden="true">
          {index + 1}
        </span>
        <input
          className="input rule-name"
          value={rule.name}
          placeholder={`Rule ${index + 1}`}
          aria-label={`Name of ${label}`}
          onChange={(e) => onChange({ ...rule, name: e.target.value })}
        />
        <span className="row rule-tools">
          <span className="row" style={{ gap: 6 }}>
            <Switch checked={rule.enabled} onChange={(enabled) => onChange({ ...rule, enabled })} label={`Enabled, ${label}`} />
            <span className="muted rule-state" aria-hidden="true">
              {rule.enabled ? 'On' : 'Off'}
            </span>
          </span>
          <Button variant="ghost" size="sm" className="btn-icon" aria-label={`Move ${label} up`} disabled={index === 0} onClick={() => onMove(-1)}>
            ↑
          </Button>
          <Button variant="ghost" size="sm" className="btn-icon" aria-label={`Move ${label} down`} disabled={index === count - 1} onClick={() => onMove(1)}>
            ↓
          </Button>
          <Button variant="ghost" size="sm" aria-label={`Delete ${label}`} onClick={onRemove}>
            Delete
          </Button>
        </span>
      </header>
      {ruleErrors.map((e, i) => (
        <p key={i} className="field-error" style={{ padding: '0 var(--space-5)' }}>
          {e.name ? `${e.name}: ` : ''}
          {capitalize(e.message)}
        </p>
      ))}
      <div className="rule-body">
        <section className="rule-part" aria-label={`When, ${label}`}>
          <h3 className="rule-part-title">When</h3>
          <ConditionEditor condition={rule.condition} onChange={(condition) => onChange({ ...rule, condition })} depth={1} path={[]} errors={errors} tierNames={tierNames} label={label} />
        </section>
        <section className="rule-part" aria-label={`Then, ${label}`}>
          <h3 className="rule-part-title">Then</h3>
          <ActionEditor action={rule.action} onChange={(action) => onChange({ ...rule, action })} errors={errors} responseError={responseError} label={label} />
        </section>
      </div>
    </li>
  );
}
