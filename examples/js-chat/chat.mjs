// @ts-check
// A terminal chat through AI Ratelimit: one answer whole, one streamed, and what an app does
// when its user is over the limit (show the message, offer the upgrade link).
import { createClient, LimitExceededError } from '@ai-ratelimit/sdk';

const projectKey = process.env.AIRL_PROJECT_KEY;
if (!projectKey) {
  console.error('Set AIRL_PROJECT_KEY to your project key (pk_…).');
  process.exit(1);
}
const client = createClient({
  baseUrl: process.env.AIRL_BASE_URL ?? 'http://localhost:3000/api',
  projectKey,
});
const identity = process.env.AIRL_IDENTITY ?? 'user-123';
const model = process.env.AIRL_MODEL ?? 'gpt-4o-mini';
const prompt = process.argv.slice(2).join(' ') || 'Say hello in five words.';

try {
  const answer = await client.chat({ identity, model, messages: [{ role: 'user', content: prompt }] });
  console.log(answer.content);
  const requests = answer.rateLimit.requests;
  if (requests) console.log(`(${requests.remaining} of ${requests.limit} requests left today)`);
  // A rule that warns without blocking, e.g. at 80% of the limit.
  if (answer.warning?.message) console.log(`Note: ${answer.warning.message}`);

  process.stdout.write('Streamed: ');
  for await (const text of client.chatStream({ identity, model, messages: [{ role: 'user', content: prompt }] })) {
    process.stdout.write(text);
  }
  process.stdout.write('\n');
} catch (err) {
  if (!(err instanceof LimitExceededError)) throw err;
  // The project's limit response, as configured in the dashboard.
  console.log(err.response.message ?? 'You have reached your limit.');
  if (err.response.deepLink) console.log(`Upgrade: ${err.response.deepLink}`);
  if (err.retryAfter !== undefined) console.log(`Or come back in ${Math.ceil(err.retryAfter / 60)} min.`);
  process.exitCode = 2;
}
