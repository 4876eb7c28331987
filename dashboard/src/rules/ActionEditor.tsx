// What a rule does when its condition holds: allow, block, or answer with a custom response
// (blocking with a status, or only warning), whose message may use template variables.
import { capitalize } from '../api/errors';
import { Segmented, Switch } from '../components/Choice';
import { Field, TextAreaField, TextField } from '../components/Field';
import { parseObject, pretty } from '../lib/json';
import { TEMPLATE_VARIABLES } from '../lib/template';
import type { RuleFieldError } from './errors';
import type { ActionType } from './json';
import { ACTION_TYPES, type ActionDraft, newAction } from './model';

interface ActionEditorProps {
  action: ActionDraft;
  onChange: (action: ActionDraft) => void;
  errors: RuleFieldError[];
  /** A client-side error of the response JSON. */
  responseError: string | undefined;
  label: string;
}

/** Edits one string field of the response object, keeping the others. */
function withField(text: string, field: string, value: string): string {
  const parsed = parseObject(text);
  const object = 'value' in parsed ? { ...parsed.value } : {};
  if (value === '') delete object[field];
  else object[field] = value;
  return pretty(object);
}

export function ActionEditor({ action, onChange, errors, responseError, label }: ActionEditorProps) {
  const mine = errors.filter((e) => e.part === 'action');
  const errorOf = (name: string) => {
    const e = mine.find((m) => m.name === name);
    return e ? capitalize(e.message) : undefined;
  };
  const general = mine.find((m) => !['status', 'block', 'message', 'response'].includes(m.name ?? ''));
  return (
    <div className="stack action">
      <Segmented<ActionType>
        label={`Action, ${label}`}
        value={action.type}
        onChange={(type) => type !== action.type && onChange(newAction(type))}
        options={ACTION_TYPES.map(({ value, label: text }) => ({ value, label: text }))}
      />
      <p className="muted" style={{ fontSize: 'var(--text-sm)' }}>
        {ACTION_TYPES.find((t) => t.value === action.type)?.hint}
      </p>
      {general && <p className="field-error">{capitalize(general.message)}</p>}
      {action.type === 'block' && (
        <TextField
          label="Message"
          optional
          value={action.message}
          placeholder="Blocked by rule"
          onChange={(e) => onChange({ ...action, message: e.target.value })}
          error={errorOf('message')}
          aria-label={`Message, ${label}`}
        />
      )}
      {action.type === 'custom_response' && <CustomResponse action={action} onChange={onChange} errorOf={errorOf} responseError={responseError} label={label} />}
    </div>
  );
}

type Custom = Extract<ActionDraft, { type: 'custom_response' }>;

function CustomResponse({
  action,
  onChange,
  errorOf,
  responseError,
  label,
}: {
  action: Custom;
  onChange: (a: ActionDraft) => void;
  errorOf: (name: string) => string | undefined;
  responseError: string | undefined;
  label: string;
}) {
  const parsed = parseObject(action.responseText);
  const object = 'value' in parsed ? parsed.value : null;
  const text = (field: string) => (object && typeof object[field] === 'string' ? (object[field] as string) : '');
  // The message and deep-link inputs edit the JSON; they wait while it does not parse.
  const structured = object !== null;
  return (
    <div className="stack">
      <div className="condition-row">
        <div className="field">
          <span className="field-label" aria-hidden="true">
            Blocks the request
          </span>
          <span className="row" style={{ gap: 'var(--space-2)', flexWrap: 'nowrap', minHeight: 34 }}>
            <Switch checked={action.block} onChange={(block) => onChange({ ...action, block })} label={`Blocks the request, ${label}`} />
            <span className="muted" style={{ fontSize: 'var(--text-sm)' }}>
              {action.block ? 'Answers with this response; nothing is forwarded or counted' : 'Warns only: the request goes on, with this response in the x-ratelimit-warning header'}
            </span>
          </span>
          {errorOf('block') && <p className="field-error">{errorOf('block')}</p>}
        </div>
        <Field label="HTTP status" className="field-compact status-field" error={errorOf('status')} hint={action.block ? undefined : 'Only when blocking'}>
          {(control) => (
            <input
              className="input tabular"
              type="number"
              min={200}
              max={599}
              placeholder="429"
              value={action.status}
              onChange={(e) => onChange({ ...action, status: e.target.value })}
              {...control}
              aria-label={`HTTP status, ${label}`}
            />
          )}
        </Field>
      </div>
      <div className="grid-2">
        <TextField
          label="Message"
          value={text('message')}
          disabled={!structured}
          placeholder="You have used {{percent}}% of your {{metric}}"
          onChange={(e) => onChange({ ...action, responseText: withField(action.responseText, 'message', e.target.value) })}
          aria-label={`Message, ${label}`}
        />
        <TextField
          label="Deep link"
          optional
          value={text('deepLink')}
          disabled={!structured}
          placeholder="myapp://upgrade"
          onChange={(e) => onChange({ ...action, responseText: withField(action.responseText, 'deepLink', e.target.value) })}
          aria-label={`Deep link, ${label}`}
        />
      </div>
      <TextAreaField
        label="Response JSON"
        spellCheck={false}
        rows={5}
        value={action.responseText}
        onChange={(e) => onChange({ ...action, responseText: e.target.value })}
        error={responseError ?? errorOf('response')}
        hint={
          <>
            The whole response body; the fields above edit its <code>message</code> and <code>deepLink</code>. Variables:{' '}
            {TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(' ')}
          </>
        }
        aria-label={`Response JSON, ${label}`}
      />
    </div>
  );
}
