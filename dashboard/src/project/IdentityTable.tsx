// The current period's usage by end user, most requests first, a page at a time.
import { useState } from 'react';

import { IDENTITY_PAGE_SIZE, useIdentities } from '../api/queries';
import type { IdentityUsage, Project } from '../api/types';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { Num } from '../components/Display';
import { UsersIcon } from '../components/Icons';
import { Empty, ErrorState, Loading } from '../components/States';
import { fullNumber } from '../lib/format';
import { enforcesRequests, enforcesTokens } from '../settings/limits';

/** The limit that applies to this identity's metric: its tier's, else the project's. */
function limitOf(project: Project, row: IdentityUsage, metric: 'requests' | 'tokens'): number | null {
  const tier = row.tier ? project.tiers[row.tier] : undefined;
  if (metric === 'requests') return tier ? tier.requestLimit : (project.dailyRequestLimit ?? null);
  return tier ? tier.tokenLimit : (project.dailyTokenLimit ?? null);
}

function Usage({ used, limit, enforced }: { used: number; limit: number | null; enforced: boolean }) {
  if (!enforced || limit === null) return <Num value={used} />;
  const ratio = limit === 0 ? 1 : Math.min(1, used / limit);
  return (
    <span className="row" style={{ justifyContent: 'flex-end', gap: 10, flexWrap: 'nowrap' }}>
      <span>
        <Num value={used} /> <span className="muted">/ {fullNumber(limit)}</span>
      </span>
      <span className={`meter ${ratio >= 1 ? 'full' : ''}`} aria-hidden="true">
        <span style={{ width: `${ratio * 100}%` }} />
      </span>
    </span>
  );
}

export function IdentityTable({ project }: { project: Project }) {
  // Cursors of the pages before this one: "Previous" pops, "Next" pushes.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useIdentities(project.id, cursor);
  const items = page.data?.items ?? [];
  const pageNumber = cursors.length;

  return (
    <Card
      id="identities"
      title="Users"
      description="Usage of each identity in the current period, most requests first."
      flush
      footer={
        (pageNumber > 1 || page.data?.nextCursor) && (
          <>
            <span className="muted" style={{ marginRight: 'auto', fontSize: 'var(--text-sm)' }}>
              Page {pageNumber}
            </span>
            <Button size="sm" disabled={pageNumber === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
              Previous
            </Button>
            <Button
              size="sm"
              disabled={!page.data?.nextCursor || page.isPlaceholderData}
              onClick={() => page.data?.nextCursor && setCursors((c) => [...c, page.data.nextCursor ?? null])}
            >
              Next
            </Button>
          </>
        )
      }
    >
      {page.isPending && <Loading label="Loading users…" />}
      {page.isError && <ErrorState error={page.error} title="Could not load users" onRetry={() => void page.refetch()} />}
      {page.data && items.length === 0 && (
        <Empty icon={<UsersIcon />} title="No users this period">
          Each identity your app sends through the proxy shows up here with its requests and tokens.
        </Empty>
      )}
      {items.length > 0 && (
        // Focusable so keyboard users can scroll it sideways on a narrow screen.
        // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
        <div className="table-wrap" role="region" aria-label="Users table" tabIndex={0}>
          <table className="table" aria-describedby="identities-title" aria-busy={page.isPlaceholderData}>
            <thead>
              <tr>
                <th scope="col">Identity</th>
                <th scope="col">Tier</th>
                <th scope="col" className="num">
                  Requests
                </th>
                <th scope="col" className="num">
                  Tokens
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((row) => (
                <tr key={row.identity}>
                  <td className="mono identity-cell">{row.identity}</td>
                  <td>{row.tier ? <span className="badge badge-primary">{row.tier}</span> : <span className="muted">—</span>}</td>
                  <td className="num">
                    <Usage used={row.requestsUsed} limit={limitOf(project, row, 'requests')} enforced={enforcesRequests(project.limitType)} />
                  </td>
                  <td className="num">
                    <Usage used={row.tokensUsed} limit={limitOf(project, row, 'tokens')} enforced={enforcesTokens(project.limitType)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="visually-hidden" aria-live="polite">
        {page.data ? `Page ${pageNumber}, ${items.length} of up to ${IDENTITY_PAGE_SIZE} users` : ''}
      </p>
    </Card>
  );
}
