// Sign-up, magic links and the legacy password login.
import { useMutation } from '@tanstack/react-query';

import { lastEmail, setSession } from '../auth/session';
import { client, unwrap } from './client';
import { queryClient } from './queries';

export function useSignup() {
  return useMutation({
    mutationFn: (body: { email: string; organizationName: string }) => {
      lastEmail.set(body.email);
      return unwrap(client.POST('/api/auth/signup', { body }));
    },
  });
}

export function useRequestLink() {
  return useMutation({
    mutationFn: (email: string) => {
      lastEmail.set(email);
      return unwrap(client.POST('/api/auth/magic-link/request', { body: { email } }));
    },
  });
}

function startSession(answer: { token: string; user: Parameters<typeof setSession>[0]['user'] }) {
  // A new user must not see the previous one's cached reads.
  queryClient.clear();
  setSession({ token: answer.token, user: answer.user });
  return answer.user;
}

export async function verifyLink(token: string) {
  return startSession(await unwrap(client.POST('/api/auth/magic-link/verify', { body: { token } })));
}

export function useLogin() {
  return useMutation({
    mutationFn: async (body: { email: string; password: string }) => {
      lastEmail.set(body.email);
      return startSession(await unwrap(client.POST('/api/auth/login', { body })));
    },
  });
}
