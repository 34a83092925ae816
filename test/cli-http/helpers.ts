/**
 * Test helpers for the CLI, call-control and event-stream routes: FreeSWITCH nodes played by
 * the fake FreeSWITCH (test/fake-freeswitch/, held to the recordings by
 * test/esl/contract.test.ts) behind the real node pool over real TCP, and an app factory on
 * a real, connected Redis (useRedis()).
 */
import { once } from 'node:events';
import { Writable } from 'node:stream';
import type { RedisClient } from '../../src/redis.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createNodePool, type NodePool } from '../../src/esl/node-pool.js';
import type { FsPool } from '../../src/esl/types.js';
import { buildApp, type AppPlugin } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';

/** One api or bgapi command a fake node received (connection setup, auth and event, left out). */
export interface SentCommand {
  readonly kind: 'api' | 'bgapi';
  readonly command: string;
  readonly args: string;
  /** bgapi: the Job-UUID the client sent (freecti always names its jobs). */
  readonly jobUuid?: string;
}

/** The api/bgapi commands `fake` received, in order. */
export function sentCommands(fake: FakeFreeSwitch): SentCommand[] {
  return fake.received.flatMap((c) => {
    const match = /^(api|bgapi) (\S+)(?: (.*))?$/s.exec(c.line);
    if (match === null) return [];
    const jobUuid = c.headers['Job-UUID'];
    return [{ kind: match[1] as 'api' | 'bgapi', command: match[2] ?? '', args: match[3] ?? '', ...(jobUuid === undefined ? {} : { jobUuid }) }];
  });
}

export interface FakeNodes {
  /** One fake FreeSWITCH per node name, in order. */
  readonly fakes: FakeFreeSwitch[];
  /** The real node pool, every node connected. */
  readonly pool: NodePool;
  /** `freeswitch.nodes` for a config pointing at the fakes. */
  readonly nodes: { name: string; host: string; port: number; password: string }[];
  close(): Promise<void>;
}

/** Starts one fake FreeSWITCH per name and a real node pool connected to them all. */
export async function startFakeNodes(...names: string[]): Promise<FakeNodes> {
  const fakes = await Promise.all(names.map(() => FakeFreeSwitch.start()));
  const nodes = names.map((name, i) => ({ name, host: fakes[i]!.host, port: fakes[i]!.port, password: fakes[i]!.password }));
  const pool = createNodePool(validateConfig({ freeswitch: { nodes } }), createLogger('silent'));
  await Promise.all(pool.nodes.map(async (node) => {
    if (node.status.state !== 'ready') await once(node, 'ready');
  }));
  return {
    fakes,
    pool,
    nodes,
    async close() {
      await pool.close();
      await Promise.all(fakes.map((fake) => fake.close()));
    },
  };
}

export interface TestApp {
  app: ReturnType<typeof buildApp>;
  logs: Record<string, unknown>[];
}

/** The whole app (buildApp registers the CLI, call-control and event-stream plugins itself). */
export function makeApp(config: ConfigInput, pool: FsPool, redis: RedisClient, routes: AppPlugin[] = []): TestApp {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = buildApp(
    {
      config: validateConfig(config),
      logger: createLogger('info', sink),
      redis,
      pool,
      metrics: createMetrics({ defaultMetrics: false }),
      version: 't',
    },
    routes,
  );
  return { app, logs };
}

export const KEY = 'seed-key-abcdefgh';
export const OPS_KEY = 'ops-key-0123456789abcdef';
