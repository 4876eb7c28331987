// Starts the real server binary for a test file: its own SQLite file in a temporary directory,
// an ephemeral port (PORT=0, read back from its "listening" log line), the admin API enabled.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../../../..');
/** The binary `scripts/test.sh` builds; override with AIRL_SERVER_BIN. */
export const SERVER_BIN = process.env.AIRL_SERVER_BIN ?? join(REPO, 'target/debug/ai-ratelimit-server');

/**
 * @param {{ upstream?: { url: string }, env?: Record<string, string> }} [options]
 */
export async function startServer({ upstream, env = {} } = {}) {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(`server binary not found at ${SERVER_BIN}: run \`cargo build -p ai-ratelimit-server\` or set AIRL_SERVER_BIN`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'airl-sdk-'));
  const adminKey = randomBytes(16).toString('hex');
  // Only these variables: nothing of the caller's environment (or a .env file: cwd is the temp dir) leaks in.
  const child = spawn(SERVER_BIN, [], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      RUST_LOG: 'info',
      LOG_FORMAT: 'text',
      APP_ENV: 'development',
      DATABASE_URL: `sqlite://${dir}/db.sqlite`,
      GLOBAL_ADMIN_KEY: adminKey,
      ...(upstream ? { OPENAI_BASE_URL: upstream.url } : {}),
      ...env,
    },
  });
  const output = [];
  const address = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${output.join('\n')}`)), 30_000);
    const onLine = (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        // eslint-disable-next-line no-control-regex
        const clean = line.replace(/\x1b\[[0-9;]*m/g, '');
        output.push(clean);
        const found = clean.includes('listening') && /address=(\S+)/.exec(clean);
        if (found) {
          clearTimeout(timer);
          ok(found[1]);
        }
      }
    };
    child.stdout.on('data', onLine);
    child.stderr.on('data', onLine);
    child.on('exit', (code) => fail(new Error(`server exited with ${code}:\n${output.join('\n')}`)));
  });
  const origin = `http://${address}`;

  return {
    origin,
    /** The SDK's baseUrl. */
    api: `${origin}/api`,
    adminKey,
    /** Everything the server logged so far. */
    output: () => output.join('\n'),
    /** Creates a project through the admin API and returns it (with its `projectKey`). */
    async createProject(body) {
      const response = await fetch(`${origin}/api/admin/projects`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-admin-key': adminKey },
        body: JSON.stringify({ name: 'sdk test', providerApiKey: 'sk-test-upstream', ...body }),
      });
      const project = await response.json();
      if (response.status !== 201) throw new Error(`project not created: ${response.status} ${JSON.stringify(project)}`);
      return project;
    },
    /** The identity's usage today, from the admin API. */
    async usage(projectKey, identity) {
      const response = await fetch(`${origin}/api/admin/projects/${projectKey}/usage/${encodeURIComponent(identity)}`, {
        headers: { 'x-admin-key': adminKey },
      });
      return response.json();
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((ok) => child.once('exit', ok));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
