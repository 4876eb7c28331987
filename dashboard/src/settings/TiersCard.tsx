// Plan tiers: named limits that replace the defaults for requests that name the tier.
import { type FormEvent, useState } from 'react';

import { ApiError, capitalize, describe } from '../api/errors';
import { useUpdateProject } from '../api/queries';
import type { Project } from '../api/types';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { TextField } from '../components/Field';
import { LayersIcon, PlusIcon } from '../components/Icons';
import { LimitInput } from '../components/LimitInput';
import { Alert, Empty } from '../components/States';
import { useToast } from '../components/Toast';
import { deepEqual } from '../lib/json';
import { newKey } from '../rules/model';
import { SaveFooter } from './SaveFooter';
import { enforcesRequests, enforcesTokens, WINDOW_NOUN } from './limits';
import { MAX_TIER_NAME, tierErrors, type TierDraft, tiersFromApi, tiersToApi } from './tiers';

export function TiersCard({ project }: { project: Project }) {
  const [tiers, setTiers] = useState(() => tiersFromApi(project.tiers));
  const [checked, setChecked] = useState(false);
  const update = useUpdateProject(project.id);
  const toast = useToast();
  const local = tierErrors(tiers);
  // A server error names the tier as `tiers.<name>…`.
  const serverError = update.error instanceof ApiError && update.error.field?.startsWith('tiers') ? update.error : null;
  const serverTier = serverError ? tiers.find((t) => serverError.field?.startsWith(`tiers.${t.name.trim()}`)) : undefined;
  const general = update.error && !serverTier ? update.error : null;
  const per = WINDOW_NOUN[project.window ?? 'day'];

  const change = (key: string, patch: Partial<TierDraft>) => setTiers((list) => list.map((t) => (t.key === key ? { ...t, ...patch } : t)));
  const add = () => setTiers((list) => [...list, { key: newKey(), name: '', requestLimit: '', tokenLimit: null }]);
  const remove = (key: string) => setTiers((list) => list.filter((t) => t.key !== key));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (Object.keys(local).length) return;
    update.mutate({ tiers: tiersToApi(tiers) }, { onSuccess: () => toast('Tiers saved') });
  };
  const dirty = !deepEqual(tiersToApi(tiers), project.tiers) || tiers.length !== Object.keys(project.tiers).length;

  return (
    <form onSubmit={submit} noValidate>
      <Card
        id="tiers"
        title="Tiers"
        description={`Plans with their own limits per ${per}. A request naming a tier (the proxy's "tier" field) gets these instead of the defaults.`}
        actions={
          <Button size="sm" onClick={add}>
            <PlusIcon /> Add tier
          </Button>
        }
        footer={<SaveFooter dirty={dirty} saving={update.isPending} />}
      >
        <div className="stack">
          {general ? <Alert tone="error">{describe(general)}</Alert> : null}
          {tiers.length === 0 && (
            <Empty icon={<LayersIcon />} title="No tiers">
              Every identity gets the default limits. Add tiers such as <code className="code-inline">free</code> and{' '}
              <code className="code-inline">pro</code> to give plans their own.
            </Empty>
          )}
          {tiers.map((t, i) => {
            const e = checked ? (local[t.key] ?? {}) : {};
            const server = serverTier?.key === t.key && serverError ? capitalize(serverError.message) : undefined;
            const label = t.name.trim() || `tier ${i + 1}`;
            return (
              <fieldset key={t.key} className="tier-row">
                <legend className="visually-hidden">Tier {label}</legend>
                <TextField
                  label="Tier name"
                  value={t.name}
                  maxLength={MAX_TIER_NAME}
                  spellCheck={false}
                  placeholder="pro"
                  onChange={(ev) => change(t.key, { name: ev.target.value })}
                  error={e.name ?? server}
                />
                {enforcesRequests(project.limitType) && (
                  <LimitInput label={`Requests (${label})`} value={t.requestLimit} onChange={(requestLimit) => change(t.key, { requestLimit })} error={e.requestLimit} />
                )}
                {enforcesTokens(project.limitType) && (
                  <LimitInput label={`Tokens (${label})`} value={t.tokenLimit} onChange={(tokenLimit) => change(t.key, { tokenLimit })} error={e.tokenLimit} />
                )}
                <Button variant="ghost" size="sm" className="tier-remove" aria-label={`Remove tier ${label}`} onClick={() => remove(t.key)}>
                  Remove
                </Button>
              </fieldset>
            );
          })}
        </div>
      </Card>
    </form>
  );
}
