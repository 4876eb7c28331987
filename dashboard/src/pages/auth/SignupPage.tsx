// Sign up: a new organization and its first user. Taken and reserved names and bad e-mail
// addresses are shown on their field.
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';

import { useSignup } from '../../api/auth';
import { ApiError, capitalize, describe } from '../../api/errors';
import { Button } from '../../components/Button';
import { TextField } from '../../components/Field';
import { Alert } from '../../components/States';
import { CheckInbox } from './CheckInbox';

type Fields = 'organizationName' | 'email';

/** Which field an error of the sign-up call belongs to. */
function fieldErrors(error: unknown): Partial<Record<Fields, string>> {
  if (!(error instanceof ApiError)) return {};
  switch (error.code) {
    case 'organization_taken':
      return { organizationName: 'This name is taken. Choose another one.' };
    case 'organization_reserved':
      return { organizationName: 'This name is reserved. Choose another one.' };
    case 'email_taken':
      return { email: 'An account with this e-mail already exists. Sign in instead.' };
  }
  if (error.field === 'email') return { email: 'Enter a valid e-mail address, like you@company.com.' };
  if (error.field === 'organizationName') return { organizationName: capitalize(error.message) };
  return {};
}

export function SignupPage() {
  const [organizationName, setOrganizationName] = useState('');
  const [email, setEmail] = useState('');
  const signup = useSignup();
  const errors = fieldErrors(signup.error);
  const general = signup.isError && Object.keys(errors).length === 0 ? describe(signup.error) : null;

  if (signup.isSuccess) return <CheckInbox email={signup.data.email} onBack={() => signup.reset()} />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    signup.mutate({ organizationName: organizationName.trim(), email: email.trim() });
  };
  return (
    <>
      <div>
        <h1>Create your account</h1>
        <p className="lead">Start limiting usage per user in a few minutes. No credit card, no password.</p>
      </div>
      {general && <Alert tone="error">{general}</Alert>}
      <form className="stack" onSubmit={submit} noValidate>
        <TextField
          label="Organization name"
          name="organizationName"
          autoComplete="organization"
          required
          maxLength={100}
          value={organizationName}
          onChange={(e) => setOrganizationName(e.target.value)}
          error={errors.organizationName}
          hint="Your team or company. It must be unique."
        />
        <TextField
          label="Work e-mail"
          name="email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errors.email}
        />
        <Button type="submit" variant="primary" className="btn-block" loading={signup.isPending}>
          Create account
        </Button>
      </form>
      <p className="auth-switch">
        Already have an account? <Link to="/login">Sign in</Link>
      </p>
    </>
  );
}
