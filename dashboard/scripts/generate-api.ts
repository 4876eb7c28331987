// `npm run api:generate`: starts the server binary, reads its OpenAPI document and writes the
// typed client's schema (src/api/schema.d.ts). Run after changing the server's API.
import { writeFileSync } from 'node:fs';

import { generateSchema, SCHEMA_PATH } from '../tests/support/openapi.ts';
import { startServer } from '../tests/support/server.ts';

const server = await startServer();
try {
  writeFileSync(SCHEMA_PATH, await generateSchema(server.url));
  console.log(`wrote ${SCHEMA_PATH.pathname}`);
} finally {
  await server.stop();
}
