// The CommonJS declarations (index.d.cts, through the exports map's `require` condition).
import sdk = require('@ai-ratelimit/sdk');

const client: sdk.Client = sdk.createClient({ baseUrl: 'http://localhost:3000/api', projectKey: 'pk_test' });
export const pending: Promise<sdk.ChatResult> = client.chat({ identity: 'u', model: 'm', messages: [{ role: 'user', content: 'Hi' }] });
export const isLimit = (e: unknown): e is sdk.LimitExceededError => e instanceof sdk.LimitExceededError;
