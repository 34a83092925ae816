/** One private redis-server per test file, a fresh key prefix and resolver per test. */
import { Redis } from 'ioredis';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { LinegroupResolver } from '../../src/linegroups/resolver.js';
import type { LinegroupInput } from '../../src/linegroups/schema.js';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';

export interface LinegroupEnv {
  server: TestRedis;
  clients: Redis[];
  client(): Redis;
  resolver(prefix: string, random?: () => number): LinegroupResolver;
  stop(): Promise<void>;
}

export async function startEnv(): Promise<LinegroupEnv> {
  const server = await startRedis();
  const clients: Redis[] = [];
  const env: LinegroupEnv = {
    server,
    clients,
    client() {
      const redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
      clients.push(redis);
      return redis;
    },
    resolver(prefix, random) {
      const deps = { redis: env.client(), keys: new Keys(prefix), logger: createLogger('silent') };
      return new LinegroupResolver(random === undefined ? deps : { ...deps, random });
    },
    async stop() {
      await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
      await server.stop();
    },
  };
  return env;
}

export async function putGroup(resolver: LinegroupResolver, name: string, group: LinegroupInput): Promise<void> {
  await resolver.store.put(name, group);
}

export { uniquePrefix };
