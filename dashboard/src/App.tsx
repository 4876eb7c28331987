// The routes. Project pages (and the chart library) load on first visit.
import { createBrowserRouter } from 'react-router';

import { AppShell } from './layout/AppShell';
import { AuthLayout } from './layout/AuthLayout';
import { RequireAuth, RootRedirect } from './layout/RequireAuth';
import { AccountPage } from './pages/AccountPage';
import { LoginPage } from './pages/auth/LoginPage';
import { SignupPage } from './pages/auth/SignupPage';
import { VerifyPage } from './pages/auth/VerifyPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { NewProjectPage } from './pages/projects/NewProjectPage';
import { ProjectsPage } from './pages/projects/ProjectsPage';
import { ProjectLayout } from './project/ProjectLayout';
import { RouteError } from './RouteError';

export const router = createBrowserRouter([
  {
    errorElement: <RouteError />,
    children: [
      { path: '/', element: <RootRedirect /> },
      {
        element: <AuthLayout />,
        children: [
          { path: '/signup', element: <SignupPage />, handle: { title: 'Sign up' } },
          { path: '/login', element: <LoginPage />, handle: { title: 'Sign in' } },
          { path: '/auth/verify', element: <VerifyPage />, handle: { title: 'Signing in' } },
        ],
      },
      {
        element: <RequireAuth />,
        children: [
          {
            element: <AppShell />,
            children: [
              { path: '/projects', element: <ProjectsPage />, handle: { title: 'Projects' } },
              { path: '/projects/new', element: <NewProjectPage />, handle: { title: 'New project' } },
              {
                path: '/projects/:id',
                element: <ProjectLayout />,
                children: [
                  { index: true, lazy: async () => ({ Component: (await import('./project/OverviewPage')).OverviewPage }), handle: { title: 'Overview' } },
                  { path: 'rules', lazy: async () => ({ Component: (await import('./rules/RulesPage')).RulesPage }), handle: { title: 'Rules' } },
                  { path: 'settings', lazy: async () => ({ Component: (await import('./project/SettingsPage')).SettingsPage }), handle: { title: 'Settings' } },
                  { path: 'connect', lazy: async () => ({ Component: (await import('./project/ConnectPage')).ConnectPage }), handle: { title: 'Connect' } },
                ],
              },
              { path: '/account', element: <AccountPage />, handle: { title: 'Account' } },
            ],
          },
        ],
      },
      { path: '*', element: <NotFoundPage />, handle: { title: 'Not found' } },
    ],
  },
]);
