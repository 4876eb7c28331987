// The current period's totals of a project.
import { useSummary } from '../api/queries';
import type { Project } from '../api/types';
import { DateTime, Num } from '../components/Display';
import { ErrorState } from '../components/States';
import { dayLabel } from '../lib/format';
import { WINDOW_CURRENT } from '../settings/limits';
import { nextReset } from '../settings/sample';

const STATS = [
  { key: 'totalRequests', label: 'Requests', hint: 'Admitted, counted toward limits' },
  { key: 'totalTokens', label: 'Tokens', hint: 'Prompt + completion' },
  { key: 'uniqueIdentities', label: 'Users', hint: 'Distinct identities' },
  { key: 'limitedRequests', label: 'Limited', hint: 'Answered with 429' },
  { key: 'errorRequests', label: 'Errors', hint: 'Failed upstream, not counted' },
] as const;

export function SummaryStats({ project }: { project: Project }) {
  const summary = useSummary(project.id);
  const period = WINDOW_CURRENT[project.window ?? 'day'];
  return (
    <section aria-labelledby="summary-title" className="stack" style={{ gap: 'var(--space-3)' }}>
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2 id="summary-title">{period}</h2>
        {summary.data && (
          <span className="muted" style={{ fontSize: 'var(--text-sm)' }}>
            Since {dayLabel(summary.data.periodStart, true)} (UTC) · resets <DateTime iso={nextReset(project.window)} />
          </span>
        )}
      </div>
      {summary.isError ? (
        <div className="card">
          <ErrorState error={summary.error} title="Could not load the totals" onRetry={() => void summary.refetch()} />
        </div>
      ) : (
        <dl className="stats" aria-busy={summary.isPending}>
          {STATS.map((s) => (
            <div key={s.key} className={`card stat stat-${s.key}`}>
              <dt>{s.label}</dt>
              <dd>{summary.data ? <Num value={summary.data[s.key]} /> : <span className="skeleton" style={{ display: 'inline-block', width: 56, height: 28 }} />}</dd>
              <dd className="stat-hint">{s.hint}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}
