// A project's frame: its name and limits, the section tabs, and the section.
import { Link, NavLink, Outlet, useOutletContext, useParams } from 'react-router';

import { ApiError } from '../api/errors';
import { useProject } from '../api/queries';
import type { Project } from '../api/types';
import { ButtonLink } from '../components/Button';
import { SearchIcon } from '../components/Icons';
import { Empty, ErrorState, Loading } from '../components/States';
import { PageHeader } from '../pages/PageHeader';
import { describeLimits } from '../settings/limits';

const SECTIONS = [
  { to: '', label: 'Overview' },
  { to: '/rules', label: 'Rules' },
  { to: '/settings', label: 'Settings' },
  { to: '/connect', label: 'Connect' },
];

export function useCurrentProject(): Project {
  return useOutletContext<Project>();
}

export function ProjectLayout() {
  const { id = '' } = useParams();
  const project = useProject(id);

  if (project.isPending) {
    return (
      <div className="card">
        <Loading label="Loading the project…" />
      </div>
    );
  }
  if (project.isError) {
    if (project.error instanceof ApiError && project.error.status === 404) {
      return (
        <div className="card">
          <Empty icon={<SearchIcon />} title="Project not found" action={<ButtonLink to="/projects">All projects</ButtonLink>}>
            It may have been deleted, or it belongs to another organization.
          </Empty>
        </div>
      );
    }
    return (
      <div className="card">
        <ErrorState error={project.error} title="Could not load the project" onRetry={() => void project.refetch()} />
      </div>
    );
  }
  const p = project.data;
  return (
    <>
      <PageHeader
        breadcrumb={
          <>
            <Link to="/projects">Projects</Link> <span aria-hidden="true">/</span> <span>{p.name}</span>
          </>
        }
        title={
          <span className="row" style={{ gap: 'var(--space-3)' }}>
            {p.name}
            <span className="badge badge-primary">{p.provider === 'openai' ? 'OpenAI' : 'Anthropic'}</span>
          </span>
        }
        description={describeLimits(p)}
      />
      <nav className="tabs" aria-label="Project sections" style={{ marginBottom: 'var(--space-6)' }}>
        {SECTIONS.map((s) => (
          <NavLink key={s.label} to={`/projects/${p.id}${s.to}`} end className="tab">
            {s.label}
          </NavLink>
        ))}
      </nav>
      <Outlet context={p} />
    </>
  );
}
