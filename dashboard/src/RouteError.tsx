// An error thrown while rendering a route (or a page chunk that failed to load).
import { useRouteError } from 'react-router';

import { ButtonLink } from './components/Button';
import { ErrorState } from './components/States';

export function RouteError() {
  const error = useRouteError();
  return (
    <main id="main" className="content" style={{ paddingTop: 96 }}>
      <div className="card">
        <ErrorState error={error} title="This page failed to load" />
        <div className="row" style={{ justifyContent: 'center', paddingBottom: 'var(--space-8)' }}>
          <ButtonLink to="/">Go to the dashboard</ButtonLink>
        </div>
      </div>
    </main>
  );
}
