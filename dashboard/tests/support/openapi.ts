// The TypeScript types of the server's OpenAPI document, as `npm run api:generate` writes
// them to src/api/schema.d.ts (a unit of the staleness test too).
import openapiTS, { astToString } from 'openapi-typescript';

export const SCHEMA_PATH = new URL('../../src/api/schema.d.ts', import.meta.url);

const HEADER =
  '// Generated from the server\'s GET /api/openapi.json by `npm run api:generate`. Do not edit.\n\n';

export async function generateSchema(serverUrl: string): Promise<string> {
  const response = await fetch(`${serverUrl}/api/openapi.json`);
  if (!response.ok) throw new Error(`GET /api/openapi.json answered ${response.status}`);
  const document = (await response.json()) as Parameters<typeof openapiTS>[0];
  return HEADER + astToString(await openapiTS(document, { alphabetize: true, emptyObjectsUnknown: true }));
}
