// examples/js-chat: installed as a user would (npm install, the SDK linked from this
// repository), type-checked, and run against the real server until its user is over the limit.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { useServer } from './harness/fixture.mjs';
import { CONTENT } from './harness/upstream.mjs';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const EXAMPLE = join(ROOT, '../../examples/js-chat');
const ctx = useServer();

test('the js-chat example installs and type-checks', { timeout: 120_000 }, async () => {
  // Only a link to ../../sdk/js: nothing is downloaded.
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund'], { cwd: EXAMPLE });
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const flags = ['--noEmit', '--allowJs', '--checkJs', '--strict', '--target', 'es2022', '--module', 'nodenext'];
  await run(process.execPath, [tsc, ...flags, '--typeRoots', join(ROOT, 'node_modules/@types'), '--types', 'node', join(EXAMPLE, 'chat.mjs')]).catch(
    (e) => assert.fail(`tsc: ${e.stdout}${e.stderr}`),
  );
});

test('the js-chat example chats, streams, then shows the upgrade prompt', { timeout: 60_000 }, async () => {
  const { projectKey } = await ctx.server.createProject({
    dailyRequestLimit: 2,
    limitExceededResponse: { error: 'limit_exceeded', message: 'You used {{used}} of {{limit}} free requests today.', deepLink: 'myapp://upgrade' },
  });
  const env = { ...process.env, AIRL_BASE_URL: ctx.server.api, AIRL_PROJECT_KEY: projectKey, AIRL_IDENTITY: 'example-user' };
  const first = await run(process.execPath, ['chat.mjs', 'Tell me a joke'], { cwd: EXAMPLE, env });
  assert.equal(first.stdout, `${CONTENT}\n(1 of 2 requests left today)\nStreamed: ${CONTENT}\n`);
  assert.equal(first.stderr, '');

  const denied = await run(process.execPath, ['chat.mjs'], { cwd: EXAMPLE, env }).then(
    () => assert.fail('the third request should be denied'),
    (e) => e,
  );
  assert.equal(denied.code, 2);
  assert.match(denied.stdout, /^You used 2 of 2 free requests today\.\nUpgrade: myapp:\/\/upgrade\nOr come back in \d+ min\.\n$/);
});
