// Sign in: a magic link by e-mail, or the legacy password.
import { type FormEvent, useState } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';

import { useLogin, useRequestLink } from '../../api/auth';
import { ApiError, describe } from '../../api/errors';
import { lastEmail } from '../../auth/session';
import { Segmented } from '../../components/Choice';
import { Button } from '../../components/Button';
import { TextField } from '../../components/Field';
import { Alert } from '../../components/States';
import { CheckInbox } from './CheckInbox';

interface LoginState {
  from?: string;
  expired?: boolean;
  signedOut?: boolean;
}

export function LoginPage() {
  const state = (useLocation().state ?? {}) as LoginState;
  const navigate = useNavigate();
  const [method, setMethod] = useState<'link' | 'password'>('link');
  const [email, setEmail] = useState(lastEmail.get);
  const [password, setPassword] = useState('');
  const requestLink = useRequestLink();
  const login = useLogin();

  if (requestLink.isSuccess) return <CheckInbox email={email.trim()} onBack={() => requestLink.reset()} />;

  const emailError =
    requestLink.error instanceof ApiError && requestLink.error.field === 'email'
      ? 'Enter a valid e-mail address, like you@company.com.'
      : undefined;
  const pending = requestLink.isPending || login.isPending;
  const error = method === 'link' ? (emailError ? null : requestLink.error) : login.error;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (method === 'link') requestLink.mutate(email.trim());
    else login.mutate({ email: email.trim(), password }, { onSuccess: () => navigate(state.from ?? '/projects', { replace: true }) });
  };
  return (
    <>
      <div>
        <h1>Sign in</h1>
        <p className="lead">Welcome back. We&apos;ll e-mail you a link that signs you in.</p>
      </div>
      {state.expired && !error && <Alert tone="info">Please sign in to continue.</Alert>}
      {state.signedOut && !error && <Alert tone="success">You are signed out.</Alert>}
      {error && (
        <Alert tone="error">
          {error instanceof ApiError && error.code === 'invalid_credentials' ? 'Wrong e-mail or password.' : describe(error)}
        </Alert>
      )}
      <Segmented
        label="Sign-in method"
        value={method}
        onChange={setMethod}
        options={[
          { value: 'link', label: 'E-mail link' },
          { value: 'password', label: 'Password' },
        ]}
      />
      <form className="stack" onSubmit={submit} noValidate>
        <TextField
          label="E-mail"
          name="email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={method === 'link' ? emailError : undefined}
        />
        {method === 'password' && (
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            hint="Only for accounts created with a password (legacy sign-in)."
          />
        )}
        <Button type="submit" variant="primary" className="btn-block" loading={pending}>
          {method === 'link' ? 'Send sign-in link' : 'Sign in'}
        </Button>
      </form>
      <p className="auth-switch">
        New here? <Link to="/signup">Create an account</Link>
      </p>
    </>
  );
}
