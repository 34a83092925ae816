/**
 * The Redis client settings (issue 12 items 2 and 4): Sentinel and Cluster settings are
 * validated before anything connects, and a Redis that accepts connections but never
 * answers (a proxy holding every byte) makes commands fail with
 * FREECTI_ERR_REDIS_UNAVAILABLE after redis.commandTimeoutMs instead of hanging: Lua
 * scripts, plain commands, and an HTTP request (503).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.js';
import type { FsPool } from '../../src/esl/types.js';
import { buildApp } from '../../src/http/app.js';
import { toFreectiError } from '../../src/http/error-handler.js';
import { createLogger } from '../../src/logger.js';
import { runScript } from '../../src/lua-scripts.js';
import { createMetrics } from '../../src/metrics.js';
import { closeRedis, createRedis, isRedisUnavailable } from '../../src/redis.js';
import { until } from '../helpers/redis-processes.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const logger = createLogger('silent');
const ADMIN = 'admin-key-0123456789abcdef';
const noPool: FsPool = { nodes: [], get: () => { throw new Error('no nodes'); }, statuses: () => [], close: async () => {} };

describe('redis settings', () => {
  test('Sentinel and Cluster settings are checked before connecting', () => {
    const node = { host: '127.0.0.1', port: 26379 };
    assert.equal(validateConfig({}).redis.commandTimeoutMs, 2000);
    assert.throws(() => validateConfig({ redis: { sentinels: [node] } }), /redis\.sentinels needs redis\.name/);
    assert.throws(() => validateConfig({ redis: { sentinels: [node], name: 'm', cluster: [node] } }), /exclude each other/);
    assert.throws(() => validateConfig({ redis: { name: 'm' } }), /only with redis\.sentinels/);
    assert.throws(() => validateConfig({ redis: { cluster: [] } }), /redis\.cluster/);
    assert.throws(() => validateConfig({ redis: { commandTimeoutMs: 0 } }), /commandTimeoutMs/);
    const sentinel = validateConfig({ redis: { sentinels: [node], name: 'mymaster', sentinelPassword: 's' } });
    assert.equal(sentinel.redis.name, 'mymaster');
  });
});

describe('a hung Redis: commands fail after redis.commandTimeoutMs', () => {
  const db = useRedis();

  test('scripts, commands and HTTP requests get FREECTI_ERR_REDIS_UNAVAILABLE, then work again once Redis answers', { timeout: 30_000 }, async () => {
    const proxy = await TcpProxy.start(db.server.port);
    const prefix = uniquePrefix('hung');
    const config = validateConfig({ redis: { url: proxy.url, keyPrefix: prefix, commandTimeoutMs: 200 }, admin: { keys: [ADMIN] } });
    const redis = createRedis(config, logger);
    const app = buildApp({ config, logger, redis, pool: noPool, metrics: createMetrics({ defaultMetrics: false }), version: 't' });
    try {
      await until('client ready', async () => redis.status === 'ready');
      proxy.hold();
      await assert.rejects(() => runScript(redis, 'lease-renew', [`${prefix}lease`], ['token', 1000]), (error: unknown) => {
        assert.equal(toFreectiError(error).code, 'FREECTI_ERR_REDIS_UNAVAILABLE');
        return true;
      });
      await assert.rejects(() => redis.get(`${prefix}x`), (error: unknown) => {
        assert.equal(isRedisUnavailable(error), true, String(error));
        assert.equal(toFreectiError(error).status, 503);
        return true;
      });
      const res = await app.inject({ method: 'GET', url: '/api/v1/linegroups', headers: { 'x-api-key': ADMIN } });
      assert.equal(res.statusCode, 503, res.body);
      assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'FREECTI_ERR_REDIS_UNAVAILABLE');
      // Redis answers again: the same client works (the held commands were answered late and dropped).
      proxy.release();
      assert.equal(await runScript(redis, 'lease-renew', [`${prefix}lease`], ['token', 1000]), 0);
      const ok = await app.inject({ method: 'GET', url: '/api/v1/linegroups', headers: { 'x-api-key': ADMIN } });
      assert.equal(ok.statusCode, 200, ok.body);
    } finally {
      await app.close();
      await closeRedis(redis);
      await proxy.close();
    }
  });
});
