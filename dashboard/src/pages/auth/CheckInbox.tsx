// "Check your e-mail": shown after a sign-in link was sent, with a way to send another.
import { useRequestLink } from '../../api/auth';
import { describe } from '../../api/errors';
import { Alert } from '../../components/States';
import { Button } from '../../components/Button';
import { MailIcon } from '../../components/Icons';

export function CheckInbox({ email, onBack }: { email: string; onBack: () => void }) {
  const resend = useRequestLink();
  return (
    <>
      <div>
        <div className="state-icon" aria-hidden="true" style={{ marginBottom: 'var(--space-4)' }}>
          <MailIcon />
        </div>
        <h1>Check your e-mail</h1>
        <p className="lead">
          We sent a sign-in link to <strong>{email}</strong>. It works once, for 15 minutes.
        </p>
      </div>
      <Alert tone="info">
        Running the server locally? In development the link is printed in the server&apos;s log, on a line with
        <code className="code-inline">magic link</code>.
      </Alert>
      {resend.isSuccess && <Alert tone="success">A new link is on its way.</Alert>}
      {resend.isError && <Alert tone="error">{describe(resend.error)}</Alert>}
      <div className="row">
        <Button loading={resend.isPending} onClick={() => resend.mutate(email)}>
          Send a new link
        </Button>
        <Button variant="ghost" onClick={onBack}>
          Use another e-mail
        </Button>
      </div>
    </>
  );
}
