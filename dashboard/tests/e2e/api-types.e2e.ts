// The typed client's schema (src/api/schema.d.ts) must match the server's OpenAPI document:
// a server change that alters the API fails here until `npm run api:generate` is run. Also
// checks that the server binary serves this very dashboard build.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { generateSchema, SCHEMA_PATH } from '../support/openapi';
import { type RunningServer, startServer } from '../support/server';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

it('src/api/schema.d.ts is generated from the served OpenAPI document', async () => {
  const committed = readFileSync(SCHEMA_PATH, 'utf8');
  const current = await generateSchema(server.url);
  expect(committed === current, 'src/api/schema.d.ts is stale: run `npm run api:generate` in dashboard/').toBe(true);
});

it('the server binary embeds the dashboard built from these sources', async () => {
  const built = readFileSync(new URL('../../dist/index.html', import.meta.url), 'utf8');
  const served = await (await fetch(`${server.url}/`)).text();
  expect(served === built, 'the server embeds another dashboard build: run `cargo build -p ai-ratelimit-server`').toBe(true);
});
