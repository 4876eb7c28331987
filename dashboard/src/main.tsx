import '@fontsource-variable/inter';
import './styles/tokens.css';
import './styles/base.css';
import './styles/controls.css';
import './styles/surfaces.css';
import './styles/layout.css';
import './styles/pages.css';
import './styles/rules.css';

import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';

import { queryClient } from './api/queries';
import { router } from './App';
import { DocumentTitle } from './DocumentTitle';
import { ToastProvider } from './components/Toast';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <RouterProvider router={router} />
        <DocumentTitle />
      </ToastProvider>
    </QueryClientProvider>
  </StrictMode>,
);
