// A project's name, provider, key and upstream URL.
import { type FormEvent, useState } from 'react';

import { fieldErrorsOf, formError } from '../api/fieldErrors';
import { describe } from '../api/errors';
import { useUpdateProject } from '../api/queries';
import type { Project } from '../api/types';
import { Card } from '../components/Card';
import { DateTime } from '../components/Display';
import { TextField } from '../components/Field';
import { Alert } from '../components/States';
import { useToast } from '../components/Toast';
import { ProviderFields, type ProviderDraft } from './ProviderFields';
import { SaveFooter } from './SaveFooter';

const FIELDS = ['name', 'provider', 'providerApiKey', 'openaiApiKey', 'baseUrl'];

export function GeneralCard({ project }: { project: Project }) {
  const [name, setName] = useState(project.name);
  const [provider, setProvider] = useState<ProviderDraft>({ provider: project.provider, providerApiKey: '', baseUrl: project.baseUrl ?? '' });
  const update = useUpdateProject(project.id);
  const toast = useToast();
  const dirty =
    name !== project.name || provider.provider !== project.provider || provider.providerApiKey !== '' || provider.baseUrl !== (project.baseUrl ?? '');
  const server = fieldErrorsOf(update.error, FIELDS);
  const errors = { ...server, ...(name.trim() ? {} : { name: 'Give the project a name' }) };
  const general = formError(update.error, server);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) return;
    update.mutate(
      {
        name: name.trim(),
        provider: provider.provider,
        baseUrl: provider.baseUrl.trim() || null,
        ...(provider.providerApiKey.trim() ? { providerApiKey: provider.providerApiKey.trim() } : {}),
      },
      { onSuccess: () => toast('Project saved') },
    );
  };
  return (
    <form onSubmit={submit} noValidate>
      <Card
        id="general"
        title="General"
        description={
          <>
            Created <DateTime iso={project.createdAt} />, last changed <DateTime iso={project.updatedAt} />.
          </>
        }
        footer={<SaveFooter dirty={dirty} saving={update.isPending} />}>
        <div className="stack">
          {general ? <Alert tone="error">{describe(general)}</Alert> : null}
          <TextField label="Name" maxLength={200} value={name} onChange={(e) => setName(e.target.value)} error={errors.name} />
          <ProviderFields value={provider} onChange={setProvider} errors={errors} storedKeyPreview={project.hasProviderApiKey ? project.providerApiKeyPreview ?? '••••' : null} />
        </div>
      </Card>
    </form>
  );
}
