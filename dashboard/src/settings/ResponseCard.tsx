// The JSON answered (templated) when an identity reaches its limit: edited as JSON,
// validated as you type, previewed with sample values.
import { type FormEvent, useId, useState } from 'react';

import { fieldErrorsOf, formError } from '../api/fieldErrors';
import { describe } from '../api/errors';
import { useUpdateProject } from '../api/queries';
import type { Project } from '../api/types';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { TextAreaField } from '../components/Field';
import { Alert } from '../components/States';
import { useToast } from '../components/Toast';
import { parseObject, pretty } from '../lib/json';
import { renderTemplate, TEMPLATE_VARIABLES, renderString } from '../lib/template';
import { SaveFooter } from './SaveFooter';
import { sampleValues } from './sample';

const EXAMPLE = {
  error: 'limit_exceeded',
  message: 'You used {{used}} of {{limit}} {{metric}} this period. Upgrade for more!',
  deepLink: 'myapp://upgrade',
  resetAt: '{{resetAt}}',
};

/** The server's body when a project sets no response of its own. */
function defaultBody(project: Project) {
  const v = sampleValues(project);
  return {
    error: 'limit_exceeded',
    message: 'Daily limit reached',
    limitType: project.limitType,
    usage: { requestsUsed: v.metric === 'requests' ? v.used : 0, tokensUsed: v.metric === 'tokens' ? v.used : 0 },
    limits: { requestLimit: project.dailyRequestLimit ?? null, tokenLimit: project.dailyTokenLimit ?? null },
    resetAt: v.resetAt,
  };
}

export function ResponseCard({ project }: { project: Project }) {
  const saved = project.limitExceededResponse ? pretty(project.limitExceededResponse) : '';
  const [text, setText] = useState(saved);
  const update = useUpdateProject(project.id);
  const toast = useToast();
  const previewId = useId();
  const parsed = text.trim() === '' ? null : parseObject(text);
  const localError = parsed && 'error' in parsed ? parsed.error : undefined;
  const server = fieldErrorsOf(update.error, ['limitExceededResponse']);
  const general = formError(update.error, server);
  const values = sampleValues(project);
  const preview = parsed === null ? defaultBody(project) : 'value' in parsed ? renderTemplate(parsed.value, values) : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (localError) return;
    update.mutate(
      { limitExceededResponse: parsed && 'value' in parsed ? parsed.value : null },
      { onSuccess: () => toast('Limit-exceeded response saved') },
    );
  };
  return (
    <form onSubmit={submit} noValidate>
      <Card
        id="response"
        title="Limit-exceeded response"
        description="The JSON body of the 429 an identity gets at its limit. Strings may use the variables below."
        actions={
          text.trim() === '' ? (
            <Button size="sm" onClick={() => setText(pretty(EXAMPLE))}>
              Start from an example
            </Button>
          ) : undefined
        }
        footer={<SaveFooter dirty={text.trim() !== saved.trim()} saving={update.isPending} />}
      >
        <div className="stack">
          {general ? <Alert tone="error">{describe(general)}</Alert> : null}
          <div className="editor-grid">
            <TextAreaField
              label="Response JSON"
              spellCheck={false}
              rows={10}
              value={text}
              placeholder="Empty: the default body (shown in the preview)"
              onChange={(e) => setText(e.target.value)}
              error={localError ?? server.limitExceededResponse}
              hint="Leave empty for the default body."
            />
            <div className="field">
              <span className="field-label" id={previewId}>
                Preview {parsed === null ? '(default body)' : ''}
              </span>
              <pre className="code-block preview" aria-labelledby={previewId} data-testid="response-preview">
                {preview ? pretty(preview) : 'Fix the JSON to see the preview.'}
              </pre>
            </div>
          </div>
          <div>
            <p className="field-label" style={{ marginBottom: 6 }}>
              Variables (sample values)
            </p>
            <ul className="variables">
              {TEMPLATE_VARIABLES.map((name) => (
                <li key={name}>
                  <code className="code-inline">{`{{${name}}}`}</code> <span className="muted">{renderString(`{{${name}}}`, values) || '(empty)'}</span>
                </li>
              ))}
            </ul>
          </div>
        </div>
      </Card>
    </form>
  );
}
