// The README's examples run as written against the real server (only its URL and a real
// project key substituted for the placeholders) and type-check under `strict`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { useServer } from './harness/fixture.mjs';
import { CONTENT } from './harness/upstream.mjs';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
// Inside the package, so `@ai-ratelimit/sdk` resolves to this build (and `openai` to the dev dependency).
const DIR = join(ROOT, 'test/.readme');
const ctx = useServer();

/** Every ```ts block of the README, with whether a `readme-test: typecheck-only` comment precedes it. */
function blocks() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/(<!-- readme-test: typecheck-only[^>]*-->\n)?```ts\n([\s\S]*?)```/g)].map((m) => ({
    code: m[2],
    typecheckOnly: Boolean(m[1]),
  }));
}

test('every TypeScript example of the README type-checks under strict', async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const all = blocks();
  assert.ok(all.length >= 6, `found ${all.length} examples`);
  all.forEach((b, i) => writeFileSync(join(DIR, `example-${i}.mts`), b.code));
  writeFileSync(
    join(DIR, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], lib: ['ES2022', 'DOM'] },
      include: ['*.mts'],
    }),
  );
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  await run(process.execPath, [tsc, '-p', join(DIR, 'tsconfig.json')]).catch((e) => assert.fail(`tsc: ${e.stdout}${e.stderr}`));
});

test('the README examples run as written, in order, against the server', async () => {
  // The free tier allows the quick start's two calls, so the error-handling example is denied.
  const { projectKey } = await ctx.server.createProject({
    dailyRequestLimit: 10,
    tiers: { free: { requestLimit: 2, tokenLimit: null }, pro: { requestLimit: 100, tokenLimit: null } },
    limitExceededResponse: { error: 'limit_exceeded', message: 'Free messages used up', deepLink: 'myapp://upgrade' },
  });
  mkdirSync(DIR, { recursive: true });
  const runnable = blocks().filter((b) => !b.typecheckOnly);
  const outputs = [];
  for (const [i, { code }] of runnable.entries()) {
    assert.match(code, /'http:\/\/localhost:3000\/api'/);
    assert.match(code, /'pk_your_key_here'/);
    const file = join(DIR, `run-${i}.mjs`);
    writeFileSync(file, code.replace("'http://localhost:3000/api'", `'${ctx.server.api}'`).replace("'pk_your_key_here'", `'${projectKey}'`));
    const { stdout, stderr } = await run(process.execPath, [file], { timeout: 30_000 }).catch((e) =>
      assert.fail(`example ${i} failed: ${e.stderr || e.message}\n${code}`),
    );
    assert.equal(stderr, '', `example ${i} wrote to stderr`);
    outputs.push(stdout);
  }
  assert.equal(outputs.length, 5);
  const [quickStart, errorHandling, openai, limits, streaming] = outputs;
  assert.equal(quickStart, `${CONTENT}\n${CONTENT}`);
  assert.equal(errorHandling, 'Free messages used up\nUpgrade: myapp://upgrade\n');
  assert.equal(openai, `${CONTENT}\n`);
  assert.match(limits, new RegExp(`^${CONTENT}\ntokens used: 15\n\\d+ of 100 requests left until \\d{4}-\\d\\d-\\d\\dT`));
  assert.match(streaming, new RegExp(`^requests left: \\d+\n${CONTENT}\ntokens used: 15\n$`));
});
