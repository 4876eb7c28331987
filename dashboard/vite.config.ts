/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API server during `npm run dev` (the dashboard's dev server proxies to it).
const apiServer = process.env.AIRL_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    // Source maps would triple what the server binary embeds.
    sourcemap: false,
    chunkSizeWarningLimit: 700,
  },
  server: {
    port: 3001,
    proxy: {
      '/api': apiServer,
      '/healthz': apiServer,
    },
  },
  test: {
    // Two cores: each browser test file runs a server, a mock upstream and Chromium.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.e2e.ts'],
          environment: 'node',
          globalSetup: ['tests/support/clean-screenshots.ts'],
          // Each file starts its own server, mock upstream and Chromium.
          testTimeout: 90_000,
          hookTimeout: 120_000,
          // Pages load over a real server on a shared machine: poll like locators wait.
          expect: { poll: { timeout: 15_000, interval: 100 } },
          pool: 'forks',
        },
      },
    ],
  },
});
