// Starts the real server binary on a free port with a fresh SQLite database, for the browser
// tests and for `npm run api:generate`. The binary is AIRL_SERVER_BIN, else the workspace's
// debug build (`cargo build -p ai-ratelimit-server`).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function serverBinary(): string {
  const bin = process.env.AIRL_SERVER_BIN ?? join(repoRoot, 'target/debug/ai-ratelimit-server');
  if (!existsSync(bin)) {
    throw new Error(
      `no server binary at ${bin}: build it with \`cargo build -p ai-ratelimit-server\` or set AIRL_SERVER_BIN`,
    );
  }
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

// Log lines arrive with ANSI colours when a terminal is attached; tests match plain text.
const ansi = new RegExp(String.fromCharCode(27) + '\\[[0-9;]*m', 'g');

export interface RunningServer {
  url: string;
  /** Every log line so far, colours removed. */
  logs: string[];
  /** The URL of the newest magic link logged for `email` after `after` lines. */
  magicLink(email: string, after?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Full chat-completions URL of the (mock) OpenAI upstream. */
  openaiUrl?: string;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const bin = serverBinary();
  const dir = mkdtempSync(join(tmpdir(), 'airl-dashboard-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(bin, [], {
    // The temp dir as working directory: no `.env` of the repository is read.
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite://${dir}/db.sqlite`,
      OPENAI_BASE_URL: options.openaiUrl ?? 'http://127.0.0.1:9/v1/chat/completions',
      APP_ENV: 'development',
      PUBLIC_URL: url,
      RUST_LOG: 'info',
      LOG_FORMAT: 'text',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const listeners = new Set<() => void>();
  let exited: string | null = null;
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim()) logs.push(line.replace(ansi, ''));
    }
    listeners.forEach((notify) => notify());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.on('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
    listeners.forEach((notify) => notify());
  });

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`the server ${exited}:\n${logs.join('\n')}`);
    try {
      const ready = await fetch(`${url}/readyz`);
      if (ready.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not get ready:\n${logs.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const magicLink = (email: string, after = 0) =>
    new Promise<string>((done, fail) => {
      const find = () => {
        for (let i = logs.length - 1; i >= after; i--) {
          const line = logs[i] ?? '';
          const match = line.match(/magic link for (\S+): (\S+\/auth\/verify\?token=\S+)/);
          if (match && match[1] === email.toLowerCase()) return match[2];
        }
        return undefined;
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        fail(new Error(`no magic link for ${email} in the log:\n${logs.join('\n')}`));
      }, 10_000);
      const check = () => {
        const link = find();
        if (link) {
          clearTimeout(timer);
          listeners.delete(check);
          done(link);
        }
      };
      listeners.add(check);
      check();
    });

  const stop = async () => {
    if (!exited) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
      if (!exited) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, logs, magicLink, stop };
}
