// The signed-in user and organization, and signing out.
import { useMe } from '../api/queries';
import { Button } from '../components/Button';
import { Card } from '../components/Card';
import { ErrorState, Loading } from '../components/States';
import { LogoutIcon } from '../components/Icons';
import { signOut } from '../layout/AppShell';
import { PageHeader } from './PageHeader';

export function AccountPage() {
  const me = useMe();
  return (
    <>
      <PageHeader title="Account" description="You and your organization." />
      <div className="stack-lg narrow">
        <Card
          id="account"
          title="Signed in"
          footer={
            <Button onClick={signOut}>
              <LogoutIcon /> Sign out
            </Button>
          }
        >
          {me.isPending && <Loading label="Loading your account…" />}
          {me.isError && <ErrorState error={me.error} title="Could not load your account" onRetry={() => void me.refetch()} />}
          {me.data && (
            <dl className="details">
              <div>
                <dt>E-mail</dt>
                <dd>{me.data.email}</dd>
              </div>
              <div>
                <dt>Organization</dt>
                <dd>{me.data.organizationName}</dd>
              </div>
              <div>
                <dt>Organization id</dt>
                <dd className="mono">{me.data.organizationId}</dd>
              </div>
              <div>
                <dt>User id</dt>
                <dd className="mono">{me.data.id}</dd>
              </div>
            </dl>
          )}
        </Card>
        <Card id="sign-in" title="Signing in">
          <p className="muted">
            You sign in with a link we e-mail you; each link works once, for 15 minutes. Sessions last until they expire
            on the server (7 days by default) or until you sign out.
          </p>
        </Card>
      </div>
    </>
  );
}
