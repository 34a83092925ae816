/**
 * Shutdown with a FreeSWITCH node that never connected: the reconcile queued when the
 * lease was acquired waits for the connection (its `show registrations` sits in the
 * client's command queue for up to the command timeout). stop() must end it at once,
 * not wait out that timeout (it used to hold service.stop() for ~10 s).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { NodeStateConsumer } from '../../src/cluster/node-state-consumer.js';
import { validateConfig } from '../../src/config/load.js';
import { createInboundClient } from '../../src/esl/inbound-client.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { freePort, startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const logger = createLogger('silent');
let server: TestRedis;
let redis: Redis;
before(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
after(async () => {
  redis.disconnect();
  await server.stop();
});

// The guard: without the fix stop() waits for the 10-minute command timeout and this test times out.
test('stop() ends a reconcile waiting for a node that never connected', { timeout: 60_000 }, async () => {
  const prefix = uniquePrefix('never');
  const config = validateConfig({ redis: { keyPrefix: prefix } });
  const node = createInboundClient({
    name: 'fs1', host: '127.0.0.1', port: await freePort(), password: 'ClueCon', eventFormat: 'json',
    commandTimeoutMs: 600_000, connectTimeoutMs: 2000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, logger,
  });
  const consumer = new NodeStateConsumer({ node, redis, keys: new Keys(prefix), config, logger });
  try {
    await consumer.start();
    await waitFor(() => consumer.lease.isHolder && consumer.queuedCount > 0);
    assert.notEqual(node.status.state, 'ready');
    await consumer.stop();
    assert.equal(consumer.queuedCount, 0);
  } finally {
    await node.close();
  }
});
