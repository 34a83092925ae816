/**
 * Starts a private redis-server on a free loopback port for one test file and stops it
 * afterwards. Each test should still use its own key prefix (see `uniquePrefix`).
 * `useRedis()` is the per-suite fixture: server plus one ready client, with its own hooks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { Redis, type RedisOptions } from 'ioredis';
import { closeRedis, type RedisClient } from '../../src/redis.js';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      break;
    } catch (error) {
      probe.disconnect();
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server did not start on port ${port}: ${String(error)}`, { cause: error });
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return {
    url,
    port,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function uniquePrefix(name = 't'): string {
  return `${name}:${randomBytes(4).toString('hex')}:`;
}

export interface RedisFixture<C extends RedisClient = Redis> {
  /** The suite's redis-server (set once the fixture's `before` hook has run). */
  readonly server: TestRedis;
  /** A client of `server`, ready before the first test. */
  readonly redis: C;
}

export interface UseRedisOptions<C extends RedisClient = Redis> {
  /** Options of the default client, `new Redis(server.url, client)`. */
  client?: Pick<RedisOptions, 'maxRetriesPerRequest'>;
  /** Builds the client instead of the default one (e.g. the app's `createRedis`). */
  connect?: (url: string) => C;
  /**
   * Runs last in the fixture's `before` hook, once the client is ready: the setup of whatever
   * the suite builds on them. (At the top level of a file, node:test 20 does not wait for one
   * `before` hook before starting the next, so a separate `before` could run too early.)
   */
  afterStart?: () => Promise<void>;
  /**
   * Runs first in the fixture's `after` hook, while the server and the client are still up:
   * the teardown of whatever the suite built on them. (node:test runs `after` hooks in the
   * order they were registered, so a separate `after` registered later would run too late.)
   */
  beforeStop?: () => Promise<void>;
}

/**
 * Registers `before`/`after` hooks in the calling suite (or file, at top level): start a
 * redis-server and connect one client before the first test; close the client and stop the
 * server after the last.
 */
export function useRedis<C extends RedisClient = Redis>(options: UseRedisOptions<C> = {}): RedisFixture<C> {
  let server: TestRedis | undefined;
  let redis: C | undefined;
  before(async () => {
    server = await startRedis();
    redis = options.connect ? options.connect(server.url) : (new Redis(server.url, options.client ?? {}) as RedisClient as C);
    if (redis.status !== 'ready') await once(redis, 'ready');
    await options.afterStart?.();
  });
  after(async () => {
    try {
      await options.beforeStop?.();
    } finally {
      if (redis !== undefined) await closeRedis(redis);
      await server?.stop();
    }
  });
  return {
    get server(): TestRedis {
      if (server === undefined) throw new Error('useRedis: the server is only there once the before hook has run');
      return server;
    },
    get redis(): C {
      if (redis === undefined) throw new Error('useRedis: the client is only there once the before hook has run');
      return redis;
    },
  };
}
