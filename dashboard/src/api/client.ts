// The typed API client (openapi-fetch over the generated schema): adds the session's bearer
// token, turns error bodies into ApiError, and signs out when the server says the session
// is no longer valid.
import createClient from 'openapi-fetch';

import { clearSession, getSession } from '../auth/session';
import { ApiError, toApiError } from './errors';
import type { paths } from './schema';

export const client = createClient<paths>({ baseUrl: '' });

client.use({
  onRequest({ request }) {
    const session = getSession();
    if (session && !request.headers.has('authorization')) {
      request.headers.set('authorization', `Bearer ${session.token}`);
    }
    return request;
  },
  onResponse({ request, response }) {
    // A rejected session (expired, or signed out elsewhere): drop it; the app shows sign-in.
    if (response.status === 401 && request.headers.has('authorization')) clearSession('expired');
    return response;
  },
});

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a call, or a thrown ApiError (status 0 when the server cannot be reached). */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch {
    throw new ApiError(0, 'network_error', 'Cannot reach the server. Check your connection and try again.');
  }
  if (!result.response.ok) throw toApiError(result.response, result.error);
  return result.data as T;
}
