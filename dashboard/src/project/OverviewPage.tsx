import { IdentityTable } from './IdentityTable';
import { useCurrentProject } from './ProjectLayout';
import { SummaryStats } from './SummaryStats';
import { UsageChart } from './UsageChart';

export function OverviewPage() {
  const project = useCurrentProject();
  return (
    <div className="stack-lg">
      <SummaryStats project={project} />
      <UsageChart projectId={project.id} />
      <IdentityTable project={project} />
    </div>
  );
}
