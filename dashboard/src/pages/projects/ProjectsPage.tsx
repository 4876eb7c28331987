// The organization's projects, each with its numbers of the current period.
import { Link } from 'react-router';

import { useProjects, useSummary } from '../../api/queries';
import type { Project } from '../../api/types';
import { ButtonLink } from '../../components/Button';
import { Num } from '../../components/Display';
import { PlusIcon, SparkIcon } from '../../components/Icons';
import { Empty, ErrorState, Loading } from '../../components/States';
import { describeLimits, WINDOW_CURRENT } from '../../settings/limits';
import { PageHeader } from '../PageHeader';

function ProjectNumbers({ project }: { project: Project }) {
  const summary = useSummary(project.id);
  if (summary.isPending) return <div className="skeleton" style={{ height: 40 }} aria-label="Loading usage" role="status" />;
  if (summary.isError) return <p className="muted">Usage unavailable.</p>;
  const s = summary.data;
  const items: [string, number][] = [
    ['Requests', s.totalRequests],
    ['Tokens', s.totalTokens],
    ['Users', s.uniqueIdentities],
    ['Limited', s.limitedRequests],
  ];
  return (
    <dl className="project-numbers">
      {items.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>
            <Num value={value} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function ProjectCard({ project }: { project: Project }) {
  return (
    <li className="card project-card">
      <div className="project-card-head">
        <h2>
          <Link to={`/projects/${project.id}`} className="stretched">
            {project.name}
          </Link>
        </h2>
        <span className="badge">{project.provider === 'openai' ? 'OpenAI' : 'Anthropic'}</span>
      </div>
      <p className="muted project-card-limits">{describeLimits(project)}</p>
      <p className="project-card-period">{WINDOW_CURRENT[project.window ?? 'day']}</p>
      <ProjectNumbers project={project} />
    </li>
  );
}

export function ProjectsPage() {
  const projects = useProjects();
  const newButton = (
    <ButtonLink to="/projects/new" variant="primary">
      <PlusIcon /> New project
    </ButtonLink>
  );
  return (
    <>
      <PageHeader title="Projects" description="Each project is one app: its key, limits, tiers and rules." actions={newButton} />
      {projects.isPending && (
        <div className="card">
          <Loading label="Loading projects…" />
        </div>
      )}
      {projects.isError && (
        <div className="card">
          <ErrorState error={projects.error} title="Could not load your projects" onRetry={() => void projects.refetch()} />
        </div>
      )}
      {projects.data?.length === 0 && (
        <div className="card">
          <Empty icon={<SparkIcon />} title="Create your first project" action={newButton}>
            A project gives your app a key for the limiting proxy. Set how many requests or tokens each of your users
            may spend, then watch their usage here.
          </Empty>
        </div>
      )}
      {!!projects.data?.length && (
        <ul className="project-grid" aria-label="Projects">
          {projects.data.map((p) => (
            <ProjectCard key={p.id} project={p} />
          ))}
        </ul>
      )}
    </>
  );
}
