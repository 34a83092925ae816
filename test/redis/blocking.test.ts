/**
 * A blocking read (the ACD queue-log feed's XREAD BLOCK) on a service whose
 * redis.commandTimeoutMs is shorter than the BLOCK: the connection from blockingRedis
 * waits the BLOCK out instead of failing with "Command timed out" (which made the feed
 * log a warning every second), and a held server still fails it after BLOCK + grace.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { blockingRedis, closeRedis, createRedis } from '../../src/redis.js';
import { until } from '../helpers/redis-processes.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';

describe('blockingRedis', () => {
  const db = useRedis();

  test('XREAD BLOCK longer than redis.commandTimeoutMs gets its entry or null, never a timeout', { timeout: 30_000 }, async () => {
    const prefix = uniquePrefix('blk');
    const config = validateConfig({ redis: { url: db.server.url, keyPrefix: prefix, commandTimeoutMs: 100 } });
    const redis = createRedis(config, createLogger('silent'));
    const reader = blockingRedis(redis);
    try {
      await until('clients ready', async () => redis.status === 'ready' && reader.status === 'ready');
      const stream = `${prefix}log`;
      // The shared client keeps its bound: the same read fails there.
      await assert.rejects(() => redis.xread('BLOCK', 400, 'STREAMS', stream, '$'), /timed out/i);
      // Nothing arrives: null after the BLOCK.
      assert.equal(await reader.xread('BLOCK', 400, 'STREAMS', stream, '$'), null);
      // An entry written while the read blocks is returned.
      const pending = reader.xread('BLOCK', 5_000, 'STREAMS', stream, '$');
      await until('reader blocked', async () => String(await db.redis.call('CLIENT', 'LIST')).includes('cmd=xread'));
      const id = await db.redis.xadd(stream, '*', 'event', 'ENTERQUEUE');
      const reply = (await pending) as [string, [string, string[]][]][];
      assert.equal(reply[0]?.[1][0]?.[0], id);
    } finally {
      await closeRedis(reader);
      await closeRedis(redis);
    }
  });
});

describe('guardSocketErrors', () => {
  const db = useRedis();

  test('a socket that fails twice (EPIPE, then ECONNRESET) does not throw: the client reconnects', { timeout: 30_000 }, async () => {
    const config = validateConfig({ redis: { url: db.server.url } });
    const redis = createRedis(config, createLogger('silent'));
    const duplicate = blockingRedis(redis);
    try {
      await until('clients ready', async () => redis.status === 'ready' && duplicate.status === 'ready');
      for (const client of [redis, duplicate]) {
        const stream = (client as unknown as { stream: NodeJS.EventEmitter }).stream;
        // ioredis handles the first error once; a second one without the guard is thrown by emit().
        stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        assert.doesNotThrow(() => stream.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })));
      }
      await until('clients back', async () => redis.status === 'ready' && duplicate.status === 'ready');
      assert.equal(await redis.ping(), 'PONG');
    } finally {
      await closeRedis(duplicate);
      await closeRedis(redis);
    }
  });
});
