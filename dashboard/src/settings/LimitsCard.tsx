// A project's limit type, window and default limits.
import { type FormEvent, useState } from 'react';

import { fieldErrorsOf, formError } from '../api/fieldErrors';
import { describe } from '../api/errors';
import { useUpdateProject } from '../api/queries';
import type { Project } from '../api/types';
import { Card } from '../components/Card';
import { Alert } from '../components/States';
import { useToast } from '../components/Toast';
import { deepEqual } from '../lib/json';
import { limitsBody, limitsDraft, limitsErrors } from './limits';
import { LimitsFields } from './LimitsFields';
import { SaveFooter } from './SaveFooter';

const FIELDS = ['limitType', 'window', 'dailyRequestLimit', 'dailyTokenLimit'];

export function LimitsCard({ project }: { project: Project }) {
  const [draft, setDraft] = useState(() => limitsDraft(project));
  const [checked, setChecked] = useState(false);
  const update = useUpdateProject(project.id);
  const toast = useToast();
  const local = limitsErrors(draft);
  const server = fieldErrorsOf(update.error, FIELDS);
  const errors = { ...server, ...(checked ? local : {}) };
  const general = formError(update.error, server);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (Object.keys(local).length) return;
    update.mutate(limitsBody(draft), { onSuccess: () => toast('Limits saved') });
  };
  return (
    <form onSubmit={submit} noValidate>
      <Card
        id="limits"
        title="Limits"
        description="The default allowance of each end user (identity). A tier, when the request names one, replaces it."
        footer={<SaveFooter dirty={!deepEqual(draft, limitsDraft(project))} saving={update.isPending} />}
      >
        <div className="stack">
          {general ? <Alert tone="error">{describe(general)}</Alert> : null}
          <LimitsFields value={draft} onChange={setDraft} errors={errors} />
        </div>
      </Card>
    </form>
  );
}
