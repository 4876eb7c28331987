// The signed-in session (JWT and user), kept in localStorage and shared across tabs.
import { useSyncExternalStore } from 'react';

import type { User } from '../api/types';

export interface Session {
  token: string;
  user: User;
}

const KEY = 'airl.session';
const listeners = new Set<() => void>();
let cached: { raw: string | null; session: Session | null } = { raw: null, session: null };

function read(): Session | null {
  const raw = localStorage.getItem(KEY);
  if (raw !== cached.raw) {
    let session: Session | null = null;
    try {
      const parsed = raw ? (JSON.parse(raw) as Session) : null;
      session = parsed && typeof parsed.token === 'string' && parsed.user ? parsed : null;
    } catch {
      session = null;
    }
    cached = { raw, session };
  }
  return cached.session;
}

function notify() {
  listeners.forEach((listener) => listener());
}

window.addEventListener('storage', (event) => {
  if (event.key === KEY) notify();
});

export function getSession(): Session | null {
  return read();
}

export function setSession(session: Session): void {
  localStorage.setItem(KEY, JSON.stringify(session));
  notify();
}

/** Why the last session ended: the sign-in page says so. */
export type EndReason = 'signed_out' | 'expired';
let endReason: EndReason = 'expired';

export function clearSession(reason: EndReason): void {
  endReason = reason;
  localStorage.removeItem(KEY);
  notify();
}

export function lastEndReason(): EndReason {
  return endReason;
}

export function useSession(): Session | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    read,
  );
}

/** The e-mail last used to sign in or up, to prefill "send a new link". */
const EMAIL_KEY = 'airl.lastEmail';
export const lastEmail = {
  get: () => localStorage.getItem(EMAIL_KEY) ?? '',
  set: (email: string) => localStorage.setItem(EMAIL_KEY, email.trim()),
};
