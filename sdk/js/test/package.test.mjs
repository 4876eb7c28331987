// The published shape: the exports map serves ESM to import and CJS to require, each with its
// declarations; no runtime dependency; the files list ships only the build and the README.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import * as esm from '@ai-ratelimit/sdk';

const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const PUBLIC = [
  'AiRatelimitError',
  'ApiError',
  'AuthError',
  'ChatStream',
  'ConnectionError',
  'ConnectionTimeoutError',
  'LimitExceededError',
  'UpstreamError',
  'ValidationError',
  'createClient',
];

test('import and require both give the whole public API', () => {
  const cjs = require('@ai-ratelimit/sdk');
  assert.deepEqual(Object.keys(esm).sort(), PUBLIC);
  assert.deepEqual(Object.keys(cjs).sort(), PUBLIC);
  assert.match(require.resolve('@ai-ratelimit/sdk'), /dist[/\\]index\.cjs$/);
  // The CommonJS build's classes behave the same (each build has its own classes, as any dual package).
  const error = new cjs.LimitExceededError(429, new Headers({ 'retry-after': '5' }), { deepLink: 'x://y' });
  assert.ok(error instanceof cjs.ApiError && error instanceof Error);
  assert.equal(error.retryAfter, 5);
  assert.equal(error.response.deepLink, 'x://y');
  assert.equal(error.name, 'LimitExceededError');
});

test('zero runtime dependencies, ESM by default, types for both formats', () => {
  assert.equal(pkg.dependencies, undefined);
  assert.equal(pkg.peerDependencies, undefined);
  assert.equal(pkg.type, 'module');
  assert.deepEqual(pkg.files, ['dist', 'README.md']);
  const { import: imp, require: req } = pkg.exports['.'];
  for (const file of [imp.types, imp.default, req.types, req.default, pkg.main, pkg.types]) {
    assert.ok(existsSync(new URL(`../${file}`, import.meta.url)), `${file} is built`);
  }
  assert.ok(Object.keys(imp)[0] === 'types' && Object.keys(req)[0] === 'types', 'types come first in each condition');
  // The build itself imports nothing (not even node: modules): it runs wherever fetch does.
  const built = readFileSync(new URL(`../${imp.default}`, import.meta.url), 'utf8');
  assert.doesNotMatch(built, /^\s*import\s/m);
  assert.doesNotMatch(readFileSync(new URL(`../${req.default}`, import.meta.url), 'utf8'), /require\(/);
});
