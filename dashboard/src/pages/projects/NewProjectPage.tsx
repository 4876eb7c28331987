// Create a project: name, provider and key, limits.
import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router';

import { fieldErrorsOf, formError } from '../../api/fieldErrors';
import { describe } from '../../api/errors';
import { useCreateProject } from '../../api/queries';
import { Button, ButtonLink } from '../../components/Button';
import { Card } from '../../components/Card';
import { TextField } from '../../components/Field';
import { Alert } from '../../components/States';
import { useToast } from '../../components/Toast';
import { limitsBody, limitsDraft, limitsErrors } from '../../settings/limits';
import { LimitsFields } from '../../settings/LimitsFields';
import { ProviderFields, type ProviderDraft } from '../../settings/ProviderFields';
import { PageHeader } from '../PageHeader';

const FIELDS = ['name', 'provider', 'providerApiKey', 'openaiApiKey', 'baseUrl', 'limitType', 'window', 'dailyRequestLimit', 'dailyTokenLimit'];

export function NewProjectPage() {
  const navigate = useNavigate();
  const toast = useToast();
  const create = useCreateProject();
  const [name, setName] = useState('');
  const [provider, setProvider] = useState<ProviderDraft>({ provider: 'openai', providerApiKey: '', baseUrl: '' });
  const [limits, setLimits] = useState(limitsDraft);
  const [checked, setChecked] = useState(false);

  const local = { ...limitsErrors(limits), ...(name.trim() ? {} : { name: 'Give the project a name' }) };
  const server = fieldErrorsOf(create.error, FIELDS);
  const errors = { ...server, ...(checked ? local : {}) };
  const general = formError(create.error, server);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (Object.keys(local).length > 0) return;
    create.mutate(
      {
        name: name.trim(),
        provider: provider.provider,
        ...(provider.providerApiKey.trim() ? { providerApiKey: provider.providerApiKey.trim() } : {}),
        baseUrl: provider.baseUrl.trim() || null,
        ...limitsBody(limits),
      },
      {
        onSuccess: (project) => {
          toast(`Project "${project.name}" created`);
          navigate(`/projects/${project.id}/connect`);
        },
      },
    );
  };

  return (
    <>
      <PageHeader
        breadcrumb={
          <>
            <Link to="/projects">Projects</Link> <span aria-hidden="true">/</span> <span>New</span>
          </>
        }
        title="New project"
        description="One project per app. You can change everything later."
      />
      <form className="stack-lg narrow" onSubmit={submit} noValidate>
        {general ? <Alert tone="error">{describe(general)}</Alert> : null}
        <Card title="Project">
          <TextField label="Name" name="name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} error={errors.name} placeholder="My chat app" />
        </Card>
        <Card title="Provider" description="Where the proxy sends your users' requests.">
          <ProviderFields value={provider} onChange={setProvider} errors={errors} />
        </Card>
        <Card title="Limits" description="The default allowance of each end user. Tiers can give plans their own.">
          <LimitsFields value={limits} onChange={setLimits} errors={errors} />
        </Card>
        <div className="row" style={{ justifyContent: 'flex-end' }}>
          <ButtonLink to="/projects" variant="ghost">
            Cancel
          </ButtonLink>
          <Button type="submit" variant="primary" loading={create.isPending}>
            Create project
          </Button>
        </div>
      </form>
    </>
  );
}
