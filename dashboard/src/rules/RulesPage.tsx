// The visual rule builder: rules in order, a live JSON preview of what will be saved, and
// the server's validation errors shown on the rule and input they name.
import { useMemo, useState } from 'react';

import { ApiError, capitalize, describe } from '../api/errors';
import { useUpdateProject } from '../api/queries';
import type { Project, ProjectInput } from '../api/types';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { FlagIcon, PlusIcon } from '../components/Icons';
import { Alert, Empty } from '../components/States';
import { useToast } from '../components/Toast';
import { deepEqual, pretty } from '../lib/json';
import { useCurrentProject } from '../project/ProjectLayout';
import { parseRuleField, type RuleFieldError } from './errors';
import { DraftError, rulesFromApi, rulesToApi } from './mapping';
import { newRule, type RuleDraft } from './model';
import { RuleCard } from './RuleCard';

/** The input a server error names, in words: "the threshold". */
const INPUT_NAMES: Record<string, string> = {
  threshold: 'the threshold',
  operator: 'the comparison',
  metric: 'the metric',
  value: 'the tiers',
  values: 'the tiers',
  conditions: 'the group',
  status: 'the HTTP status',
  response: 'the response',
  message: 'the message',
  block: 'the block switch',
};

function describeRuleError(error: RuleFieldError): string {
  const what = (error.name && INPUT_NAMES[error.name]) ?? (error.part === 'condition' ? 'a condition' : error.part === 'action' ? 'the action' : 'it');
  return `${what.charAt(0).toUpperCase()}${what.slice(1)}: ${error.message}`;
}

/** Client-side errors: custom responses that are not JSON objects, by rule key. */
function responseErrors(rules: RuleDraft[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const rule of rules) {
    try {
      rulesToApi([rule]);
    } catch (e) {
      if (!(e instanceof DraftError)) throw e;
      errors[rule.key] = e.message;
    }
  }
  return errors;
}

function Builder({ project }: { project: Project }) {
  const [rules, setRules] = useState(() => rulesFromApi(project.rules));
  const [checked, setChecked] = useState(false);
  // The rules' keys when last saved: a server error's index names one of them, whatever
  // moved since.
  const [savedKeys, setSavedKeys] = useState<string[]>([]);
  const update = useUpdateProject(project.id);
  const toast = useToast();
  const preview = useMemo(() => rulesToApi(rules, true), [rules]);
  const dirty = !deepEqual(preview, project.rules);
  const local = responseErrors(rules);
  const serverError = update.error instanceof ApiError && update.error.field ? parseRuleField(update.error.field, update.error.message) : null;
  const errorKey = serverError ? savedKeys[serverError.rule] : undefined;
  const general = update.error && !serverError ? update.error : null;
  const tierNames = Object.keys(project.tiers);

  const change = (i: number, rule: RuleDraft) => setRules((list) => list.map((r, j) => (j === i ? rule : r)));
  const move = (i: number, offset: -1 | 1) =>
    setRules((list) => {
      const next = [...list];
      const [rule] = next.splice(i, 1);
      if (rule) next.splice(i + offset, 0, rule);
      return next;
    });
  const save = () => {
    setChecked(true);
    if (Object.keys(local).length) return;
    setSavedKeys(rules.map((r) => r.key));
    update.mutate({ rules: rulesToApi(rules) as unknown as NonNullable<ProjectInput['rules']> }, { onSuccess: () => toast('Rules saved') });
  };

  return (
    <div className="rules-layout">
      <div className="stack">
        <div className="rules-toolbar">
          <p className="muted">Rules run in order on each request, before the limits. The first enabled rule whose condition holds applies.</p>
          <div className="row">
            <Button onClick={() => setRules((list) => [...list, newRule(list.map((r) => r.id))])}>
              <PlusIcon /> Add rule
            </Button>
            <Button variant="primary" disabled={!dirty} loading={update.isPending} onClick={save}>
              Save rules
            </Button>
          </div>
        </div>
        <div aria-live="polite">
          {general ? <Alert tone="error">{describe(general)}</Alert> : null}
          {serverError && <Alert tone="error">Rule {(errorKey ? rules.findIndex((r) => r.key === errorKey) : serverError.rule) + 1} needs a fix. {capitalize(describeRuleError(serverError))}</Alert>}
          {checked && Object.keys(local).length > 0 && <Alert tone="error">A custom response is not valid JSON. Fix it to save.</Alert>}
          {dirty && !update.isPending && !update.error && <p className="visually-hidden">Unsaved changes</p>}
        </div>
        {rules.length === 0 ? (
          <div className="card">
            <Empty icon={<FlagIcon />} title="No rules yet">
              Warn users at 80% of their limit, block a tier, or answer with your own upgrade message. Add your first rule.
            </Empty>
          </div>
        ) : (
          <ol className="rule-list" aria-label="Rules">
            {rules.map((rule, i) => (
              <RuleCard
                key={rule.key}
                rule={rule}
                index={i}
                count={rules.length}
                onChange={(r) => change(i, r)}
                onMove={(offset) => move(i, offset)}
                onRemove={() => setRules((list) => list.filter((_, j) => j !== i))}
                errors={serverError && errorKey === rule.key ? [serverError] : []}
                responseError={checked ? local[rule.key] : undefined}
                tierNames={tierNames}
              />
            ))}
          </ol>
        )}
        {dirty && (
          <div className="row" style={{ justifyContent: 'flex-end' }}>
            <span className="muted">Unsaved changes</span>
            <Button variant="ghost" onClick={() => setRules(rulesFromApi(project.rules))}>
              Discard
            </Button>
            <Button variant="primary" loading={update.isPending} onClick={save}>
              Save rules
            </Button>
          </div>
        )}
      </div>
      <Card id="rules-json" title="JSON" description="What the API receives (the project's rules field)." className="rules-preview">
        {/* Focusable so keyboard users can scroll it. */}
        {/* eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex */}
        <pre className="code-block" data-testid="rules-json" tabIndex={0} aria-label="Rules as JSON">
          {pretty(preview)}
        </pre>
      </Card>
    </div>
  );
}

export function RulesPage() {
  const project = useCurrentProject();
  // Saved rules load afresh into the builder.
  return <Builder key={JSON.stringify(project.rules)} project={project} />;
}
