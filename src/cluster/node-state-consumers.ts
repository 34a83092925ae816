/**
 * One NodeStateConsumer per configured FreeSWITCH node (service wiring). Call it right
 * after the pool is created, before awaiting anything, so the subscriptions are in
 * place before the first handshake.
 */
import type { Config } from '../config/schema.js';
import type { FsPool } from '../esl/types.js';
import { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../lua-scripts.js';
import { NodeStateConsumer } from './node-state-consumer.js';

export interface NodeStateConsumers {
  readonly consumers: readonly NodeStateConsumer[];
  /** Stops consuming and releases every lease this instance holds. */
  stop(): Promise<void>;
}

export function startNodeStateConsumers(deps: { pool: FsPool; redis: RedisClient; config: Config; logger: Logger }): NodeStateConsumers {
  const keys = new Keys(deps.config.redis.keyPrefix);
  const consumers = deps.pool.nodes.map(
    (node) => new NodeStateConsumer({ node, redis: deps.redis, keys, config: deps.config, logger: deps.logger }),
  );
  for (const consumer of consumers) {
    consumer.start().catch((error: unknown) => deps.logger.error({ err: (error as Error).message }, 'node state consumer did not start'));
  }
  return {
    consumers,
    async stop() {
      await Promise.all(consumers.map((c) => c.stop({ release: true })));
    },
  };
}
