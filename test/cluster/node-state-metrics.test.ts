/**
 * The node-state consumers' metrics as /metrics serves them: the queue length per node
 * and the drops by reason, read from the consumers at scrape time.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { startNodeStateConsumers } from '../../src/cluster/node-state-consumers.js';
import { validateConfig } from '../../src/config/load.js';
import { createNodePool } from '../../src/esl/node-pool.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const logger = createLogger('silent');

describe('node-state metrics', () => {
  const fixture = useRedis();

  test('freecti_node_state_queue and freecti_node_state_dropped_total per node', async () => {
    const fake = await FakeFreeSwitch.start();
    fake.onApi('show', () => '{"row_count": 0}\n');
    const config = validateConfig({
      redis: { url: fixture.server.url, keyPrefix: uniquePrefix('metrics') },
      freeswitch: { nodes: [{ name: 'fs1', host: fake.host, port: fake.port, password: fake.password }] },
    });
    const pool = createNodePool(config, logger);
    const registry = new Registry();
    const consumers = startNodeStateConsumers({ pool, redis: fixture.redis, config, logger, registry });
    try {
      const consumer = consumers.consumers[0];
      assert.ok(consumer !== undefined);
      await waitFor(() => consumer.lease.isHolder && pool.nodes[0]?.status.state === 'ready');
      // The reconciles of acquiring the lease and of the node's handshake are done.
      await waitFor(() => consumer.queuedCount === 0);
      let text = await registry.metrics();
      assert.match(text, /^freecti_node_state_queue\{node="fs1"\} 0$/m);
      assert.match(text, /^freecti_node_state_dropped_total\{node="fs1",reason="queue_full"\} 0$/m);
      assert.match(text, /^freecti_node_state_dropped_total\{node="fs1",reason="lease_unknown"\} 0$/m);
      // Counted by the consumer (as a burst against a slow Redis does, test/cluster/state-queue-bound.test.ts).
      consumer.droppedQueue += 7;
      text = await registry.metrics();
      assert.match(text, /^freecti_node_state_dropped_total\{node="fs1",reason="queue_full"\} 7$/m);
      consumer.droppedQueue += 2;
      text = await registry.metrics();
      assert.match(text, /^freecti_node_state_dropped_total\{node="fs1",reason="queue_full"\} 9$/m, 'a counter: each scrape adds what is new');
    } finally {
      await consumers.stop();
      await pool.close();
      await fake.close();
    }
  });
});
