// `/auth/verify?token=…`, the page of the sign-in link: exchanges the token for a session.
// The token leaves the address bar at once (it is single-use, but should not linger in
// history); expired or used links get a way to send a new one.
import { type FormEvent, useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';

import { useRequestLink, verifyLink } from '../../api/auth';
import { ApiError, describe } from '../../api/errors';
import { lastEmail } from '../../auth/session';
import { Button } from '../../components/Button';
import { ClockIcon } from '../../components/Icons';
import { TextField } from '../../components/Field';
import { Alert, Spinner } from '../../components/States';

// One exchange per token, even when React runs the effect twice (StrictMode).
const exchanges = new Map<string, ReturnType<typeof verifyLink>>();

function useTokenFromAddress(): string {
  const [token] = useState(() => new URLSearchParams(window.location.search).get('token') ?? '');
  useEffect(() => {
    if (window.location.search) window.history.replaceState(window.history.state, '', window.location.pathname);
  }, []);
  return token;
}

function NewLinkForm() {
  const [email, setEmail] = useState(lastEmail.get);
  const request = useRequestLink();
  if (request.isSuccess) {
    return (
      <Alert tone="success">
        If <strong>{email}</strong> has an account, a new sign-in link is on its way.
      </Alert>
    );
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    request.mutate(email.trim());
  };
  const emailError = request.error instanceof ApiError && request.error.field === 'email' ? 'Enter a valid e-mail address.' : undefined;
  return (
    <form className="stack" onSubmit={submit} noValidate>
      {request.isError && !emailError && <Alert tone="error">{describe(request.error)}</Alert>}
      <TextField label="E-mail" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} error={emailError} required />
      <Button type="submit" variant="primary" className="btn-block" loading={request.isPending}>
        Send a new link
      </Button>
    </form>
  );
}

export function VerifyPage() {
  const token = useTokenFromAddress();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(token ? null : new ApiError(401, 'invalid_token', 'missing token'));

  useEffect(() => {
    if (!token) return;
    let exchange = exchanges.get(token);
    if (!exchange) {
      exchange = verifyLink(token);
      exchanges.set(token, exchange);
    }
    let current = true;
    exchange.then(
      () => current && navigate('/projects', { replace: true }),
      (e: unknown) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [token, navigate]);

  if (!error) return <Spinner label="Signing you in…" />;
  const invalid = error instanceof ApiError && (error.code === 'invalid_token' || error.status === 401);
  return (
    <>
      <div>
        <div className="state-icon" aria-hidden="true" style={{ marginBottom: 'var(--space-4)', background: 'var(--warning-soft)', color: 'var(--warning)' }}>
          <ClockIcon />
        </div>
        <h1>{invalid ? 'This sign-in link has expired' : 'We could not sign you in'}</h1>
        <p className="lead">
          {invalid
            ? 'Sign-in links work once and for 15 minutes. Get a new one and use it right away.'
            : describe(error)}
        </p>
      </div>
      <NewLinkForm />
      <p className="auth-switch">
        <Link to="/login">Back to sign in</Link>
      </p>
    </>
  );
}
