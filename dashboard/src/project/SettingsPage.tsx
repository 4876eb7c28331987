import { DangerCard } from '../settings/DangerCard';
import { GeneralCard } from '../settings/GeneralCard';
import { LimitsCard } from '../settings/LimitsCard';
import { ResponseCard } from '../settings/ResponseCard';
import { TiersCard } from '../settings/TiersCard';
import { TrustCard } from '../settings/TrustCard';
import { useCurrentProject } from './ProjectLayout';

/** Each card saves its own fields; a card starts afresh when its saved fields change. */
export function SettingsPage() {
  const p = useCurrentProject();
  return (
    <div className="stack-lg">
      <GeneralCard key={`${p.name}|${p.provider}|${p.baseUrl}|${p.providerApiKeyPreview}`} project={p} />
      <LimitsCard key={`${p.limitType}|${p.window}|${p.dailyRequestLimit}|${p.dailyTokenLimit}`} project={p} />
      <TiersCard key={JSON.stringify(p.tiers) + p.limitType} project={p} />
      <ResponseCard key={JSON.stringify(p.limitExceededResponse)} project={p} />
      <TrustCard project={p} />
      <DangerCard project={p} />
    </div>
  );
}
