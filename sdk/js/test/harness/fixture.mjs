// One mock upstream and one server per test file, started before its tests and stopped after.
import { after, before } from 'node:test';
import { startServer } from './server.mjs';
import { startUpstream } from './upstream.mjs';

/**
 * Registers the hooks; the returned object's fields are set once `before` has run.
 * @param {{ env?: Record<string, string> }} [options]
 */
export function useServer(options = {}) {
  const it = { server: undefined, upstream: undefined };
  before(async () => {
    it.upstream = await startUpstream();
    it.server = await startServer({ upstream: it.upstream, env: options.env });
  });
  after(async () => {
    await it.server?.stop();
    await it.upstream?.stop();
  });
  return it;
}

/** A fresh identity, so tests sharing a project never share counters. */
let n = 0;
export const freshIdentity = (prefix = 'user') => `${prefix}-${process.pid}-${++n}`;

/** A user message. */
export const hello = [{ role: 'user', content: 'Say hello' }];
