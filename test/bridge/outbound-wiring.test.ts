/** The service's outbound socket: bridge sessions are served; a busy port is logged, never fatal. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import type { Redis } from 'ioredis';
import { startOutboundSockets, type OutboundSockets } from '../../src/bridge/outbound-wiring.js';
import type { Config } from '../../src/config/schema.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { Keys } from '../../src/keys.js';
import { LinegroupResolver } from '../../src/linegroups/resolver.js';
import { createWebhookClient } from '../../src/webhook/client.js';
import { validateConfig } from '../../src/config/load.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { freePort, uniquePrefix, useRedis } from '../helpers/redis.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { dialBridgeCall } from './dial-call.js';

const db = useRedis({ client: { maxRetriesPerRequest: 1 } });

function capture(): { logger: ReturnType<typeof createLogger>; logs: Record<string, unknown>[] } {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', sink), logs };
}

it('serves cti_dial sessions on config.eslOutbound', async () => {
  const prefix = uniquePrefix();
  const port = await freePort();
  const config = validateConfig({ redis: { keyPrefix: prefix }, eslOutbound: { host: '127.0.0.1', port } });
  const { logger } = capture();
  const metrics = createMetrics({ defaultMetrics: false });
  const sockets = await startSockets({ config, logger, redis: db.redis, metrics });
  try {
    assert.equal(sockets.listening, true);
    await db.redis.hset(`${prefix}{freecti}:linegroups`, 'g', JSON.stringify({ lines: [{ id: 'a', gateway: 'gw' }] }));
    const fake = await FakeFreeSwitch.start();
    const call = dialBridgeCall(fake, port, { variables: { cti_dial: 'linegroup/g/100' }, bridges: ['busy'] });
    await call.closed;
    await fake.close();
    assert.equal(call.bridged.length, 1);
    assert.match(call.bridged[0] ?? '', /sofia\/gateway\/gw\/100$/);
    assert.deepEqual(call.hangups, ['USER_BUSY']);
    const text = await metrics.registry.metrics();
    assert.match(text, /freecti_bridge_calls_total\{result="not_answered"\} 1/);
    assert.match(text, /freecti_linegroup_calls_total\{group="g",line="a",verdict="refused"\} 1/);
  } finally {
    await sockets.stop();
  }
});

it('a port in use is logged and the service goes on', async () => {
  const blocker = createServer();
  blocker.listen(0, '127.0.0.1');
  await new Promise((resolve) => blocker.once('listening', resolve));
  const port = (blocker.address() as { port: number }).port;
  const { logger, logs } = capture();
  const config = validateConfig({ eslOutbound: { host: '127.0.0.1', port } });
  const sockets = await startSockets({ config, logger, redis: db.redis, metrics: createMetrics({ defaultMetrics: false }) });
  try {
    assert.equal(sockets.listening, false);
    assert.ok(logs.some((l) => l['level'] === 50 && String(l['msg']).includes('EADDRINUSE')));
  } finally {
    await sockets.stop();
    blocker.close();
  }
});

/** The outbound socket with the services src/services.ts would hand it (its stop also closes them). */
async function startSockets(deps: { config: Config; logger: Logger; redis: Redis; metrics: Metrics }): Promise<OutboundSockets> {
  const { config, logger, redis, metrics } = deps;
  const webhooks = createWebhookClient({ registry: metrics.registry, logger });
  const resolver = new LinegroupResolver({ redis, keys: new Keys(config.redis.keyPrefix), logger, registry: metrics.registry });
  const sockets = await startOutboundSockets({ config, logger, metrics, policy: new FsPolicy(config.security), webhooks, resolver });
  return {
    server: sockets.server,
    listening: sockets.listening,
    async stop() {
      await sockets.stop();
      await webhooks.close();
    },
  };
}
