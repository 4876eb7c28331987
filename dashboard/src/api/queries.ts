// Server state: one TanStack Query hook per API read, one mutation per change. Mutations
// update or invalidate the cached reads they affect.
import { QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { isoDay } from '../lib/format';
import { aggregate, historyRange, type HistoryPoint, type Interval } from '../lib/periods';
import { client, unwrap } from './client';
import { ApiError } from './errors';
import type { IdentityPage, Project, ProjectCreate, ProjectInput, UsageSummary, User } from './types';
import { asProject } from './types';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // Client errors (401, 404, 400) will not fix themselves by retrying.
      retry: (count, error) => count < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
    },
  },
});

export const keys = {
  me: ['me'] as const,
  projects: ['projects'] as const,
  project: (id: string) => ['projects', id] as const,
  usage: (id: string) => ['usage', id] as const,
  summary: (id: string) => ['usage', id, 'summary'] as const,
  history: (id: string, interval: Interval) => ['usage', id, 'history', interval] as const,
  identities: (id: string, cursor: string | null) => ['usage', id, 'identities', cursor] as const,
};

export function useMe(enabled = true) {
  return useQuery({ queryKey: keys.me, enabled, queryFn: () => unwrap(client.GET('/api/auth/me')) as Promise<User> });
}

export function useProjects() {
  return useQuery({
    queryKey: keys.projects,
    queryFn: async () => (await unwrap(client.GET('/api/projects'))).map(asProject),
  });
}

export function useProject(id: string) {
  const queries = useQueryClient();
  return useQuery({
    queryKey: keys.project(id),
    queryFn: async () => asProject(await unwrap(client.GET('/api/projects/{id}', { params: { path: { id } } }))),
    // The list already holds the project: show it at once, refresh behind.
    initialData: () => queries.getQueryData<Project[]>(keys.projects)?.find((p) => p.id === id),
    initialDataUpdatedAt: () => queries.getQueryState(keys.projects)?.dataUpdatedAt,
  });
}

/** The overview refreshes while open: the server writes its report rollups about once a
 * second, so numbers of requests just made arrive on a later fetch. */
const USAGE_REFRESH_MS = 5_000;

export function useSummary(id: string) {
  return useQuery({
    queryKey: keys.summary(id),
    queryFn: () =>
      unwrap(client.GET('/api/projects/{id}/usage/summary', { params: { path: { id } } })) as Promise<UsageSummary>,
    refetchInterval: USAGE_REFRESH_MS,
  });
}

interface HistoryAnswer {
  days?: { date: string; requests: number; tokens: number; limited: number }[];
  periods?: { start: string; requests: number; tokens: number; limited: number }[];
}

export function useHistory(id: string, interval: Interval) {
  return useQuery({
    queryKey: keys.history(id, interval),
    queryFn: async (): Promise<HistoryPoint[]> => {
      const range = historyRange(interval, isoDay(new Date()));
      // `interval` is API.md's Reports extension: a server that knows it answers `periods`,
      // one that does not ignores it and answers days, summed here.
      const query = { ...range, ...(interval === 'day' ? {} : { interval }) };
      const answer = (await unwrap(
        client.GET('/api/projects/{id}/usage/history', { params: { path: { id }, query } }),
      )) as HistoryAnswer;
      if (answer.periods) return answer.periods.map(({ start, requests, tokens, limited }) => ({ start, requests, tokens, limited }));
      return aggregate(answer.days ?? [], interval);
    },
    refetchInterval: USAGE_REFRESH_MS,
  });
}

export const IDENTITY_PAGE_SIZE = 25;

export function useIdentities(id: string, cursor: string | null) {
  return useQuery({
    queryKey: keys.identities(id, cursor),
    queryFn: () =>
      unwrap(
        client.GET('/api/projects/{id}/usage/by-identity', {
          params: { path: { id }, query: { limit: IDENTITY_PAGE_SIZE, ...(cursor ? { cursor } : {}) } },
        }),
      ) as Promise<IdentityPage>,
    placeholderData: (previous) => previous,
  });
}

function useProjectSaved() {
  const queries = useQueryClient();
  return (project: Project) => {
    queries.setQueryData(keys.project(project.id), project);
    queries.setQueryData<Project[]>(keys.projects, (list) => list?.map((p) => (p.id === project.id ? project : p)));
  };
}

export function useCreateProject() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (body: ProjectCreate) => asProject(await unwrap(client.POST('/api/projects', { body }))),
    onSuccess: (project) => {
      queries.setQueryData(keys.project(project.id), project);
      void queries.invalidateQueries({ queryKey: keys.projects });
    },
  });
}

export function useUpdateProject(id: string) {
  const saved = useProjectSaved();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (body: ProjectInput) =>
      asProject(await unwrap(client.PATCH('/api/projects/{id}', { params: { path: { id } }, body }))),
    onSuccess: (project) => {
      saved(project);
      // A new window or limits change what the usage reads show.
      void queries.invalidateQueries({ queryKey: keys.usage(id) });
    },
  });
}

export function useRotateKey(id: string) {
  const saved = useProjectSaved();
  return useMutation({
    mutationFn: async () =>
      asProject(await unwrap(client.POST('/api/projects/{id}/rotate-key', { params: { path: { id } } }))),
    onSuccess: saved,
  });
}

/** Creates or rotates the identity secret; the answer (the secret) is shown once. */
export function useRotateIdentitySecret(id: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(client.POST('/api/projects/{id}/identity-secret', { params: { path: { id } } })),
    // The project now shows `hasIdentitySecret`.
    onSuccess: () => void queries.invalidateQueries({ queryKey: keys.project(id) }),
  });
}

export function useDeleteProject(id: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(client.DELETE('/api/projects/{id}', { params: { path: { id } } })),
    onSuccess: () => {
      queries.setQueryData<Project[]>(keys.projects, (list) => list?.filter((p) => p.id !== id));
      queries.removeQueries({ queryKey: keys.project(id) });
      queries.removeQueries({ queryKey: keys.usage(id) });
    },
  });
}
