/**
 * A test's own redis-server (the `redis-server` binary on PATH), on a free port of 127.0.0.1 with its
 * data in a directory of the test's: killed and started again on the same port and directory, so a
 * test can restart Redis under a running client.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { type Child, startProcess } from './child-process.js';
import { probeService, type ServiceProbe } from './services.js';

export interface RedisServerOptions {
  /** Where the append-only file lives; kept across restarts. */
  dir: string;
  /** Append-only persistence, fsynced before every reply (default true). */
  appendOnly?: boolean;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** Stops the server with `signal` (SIGKILL: no chance to write anything more). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and directory, once it accepts connections. */
  start(): Promise<void>;
  /** Whether it is running. */
  readonly running: boolean;
}

/** Whether the redis-server binary runs (skips or fails per FACTUM_REQUIRE_SERVICES). */
export function probeRedisServer(): Promise<ServiceProbe> {
  return probeService('redis-server', 'PATH', async () => {
    const result = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    if (result.error !== undefined) throw result.error;
    if (result.status !== 0) throw new Error(`redis-server --version exited with ${result.status}`);
  });
}

/** A free TCP port on 127.0.0.1 (asked of the system, then released for the server to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolve(address.port);
      });
    });
  });
}

export async function startRedisServer(options: RedisServerOptions): Promise<RedisServer> {
  const port = await freePort();
  const appendOnly = options.appendOnly ?? true;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    options.dir,
    '--appendonly',
    appendOnly ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--save',
    '',
    '--protected-mode',
    'no',
  ];
  let child: Child | undefined;
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return child !== undefined;
    },
    async kill(signal = 'SIGKILL') {
      const running = child;
      child = undefined;
      await running?.kill(signal);
    },
    async start() {
      if (child !== undefined) return;
      const started = startProcess('redis-server', args, 20_000);
      child = started;
      await Promise.race([
        started.waitFor(/Ready to accept connections/),
        started.exited.then(() => {
          throw new Error(`redis-server exited on start: ${started.lines.slice(-5).join('\n')}`);
        }),
      ]);
    },
  };
  await server.start();
  return server;
}
