// Routes behind sign-in: without a session, off to /login (and back here afterwards).
import { Navigate, Outlet, useLocation } from 'react-router';

import { lastEndReason, useSession } from '../auth/session';

export function RequireAuth() {
  const session = useSession();
  const location = useLocation();
  if (!session) {
    const reason = lastEndReason();
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search, [reason === 'signed_out' ? 'signedOut' : 'expired']: true }} />;
  }
  return <Outlet />;
}

export function RootRedirect() {
  return <Navigate to={useSession() ? '/projects' : '/login'} replace />;
}
