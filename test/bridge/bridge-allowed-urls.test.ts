/**
 * bridge.allowedUrls end to end: the service's outbound socket (startOutboundSockets, built
 * from the config) gets a connect reply whose `cti_bridge` names a URL outside the allowed
 * prefixes. Real HTTP servers on loopback, on a port or path that is not allowed, prove
 * that nothing is asked; the call is hung up with the bad-arguments cause, not left silent.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
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
import { startAppServer, type AppServer } from './app-server.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { dialBridgeCall } from './dial-call.js';

const userReply = JSON.stringify({ dial: { type: 'user', user: '1000' } });

let app: AppServer;
let other: AppServer;
let sockets: OutboundSockets;
let port: number;
let fake: FakeFreeSwitch;
const logs: Record<string, unknown>[] = [];

const db = useRedis({
  afterStart: setup,
  client: { maxRetriesPerRequest: 1 },
  beforeStop: async () => {
    await fake.close();
    await sockets.stop();
    await app.close();
    await other.close();
  },
});

async function setup(): Promise<void> {
  app = await startAppServer(() => ({ body: userReply }));
  other = await startAppServer(() => ({ body: userReply }));
  port = await freePort();
  fake = await FakeFreeSwitch.start();
  const appOrigin = new URL(app.url).origin;
  const config = validateConfig({
    redis: { keyPrefix: uniquePrefix() },
    eslOutbound: { port },
    // Only the app's /bridge path on its port; `other` listens on 127.0.0.1 too, on another port.
    bridge: { allowedUrls: [`${appOrigin}/bridge`] },
  });
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  sockets = await startSockets({ config, logger: createLogger('debug', sink), redis: db.redis, metrics: createMetrics({ defaultMetrics: false }) });
  assert.equal(sockets.listening, true);
}

async function call(cti_bridge: string) {
  const fs = dialBridgeCall(fake, port, { variables: { cti_bridge } });
  await fs.closed;
  return fs;
}

describe('a cti_bridge URL outside bridge.allowedUrls', () => {
  const refused = (): { url: string; why: RegExp }[] => [
    { url: 'http://169.254.169.254/latest/meta-data/?token=s3cret', why: /^cti_bridge failed: cti_bridge URL http:\/\/169\.254\.169\.254\/latest\/meta-data\/\?\[redacted\] refused: http:\/\/169\.254\.169\.254:80 matches no prefix/ },
    { url: `${other.url}?token=s3cret`, why: /refused: http:\/\/127\.0\.0\.1:\d+ matches no prefix of bridge\.allowedUrls/ },
    { url: `${new URL(app.url).origin}/admin?token=s3cret`, why: /refused: path \/admin is under no prefix/ },
    { url: `${new URL(app.url).origin}/bridgex?token=s3cret`, why: /refused: path \/bridgex is under no prefix/ },
    { url: `${new URL(app.url).origin}/bridge/../admin?token=s3cret`, why: /refused: path \/admin is under no prefix/ },
    { url: `http://127.0.0.1@${new URL(app.url).host}/bridge?token=s3cret`, why: /refused: the URL carries user info/ },
    { url: `http://127.0.0.1.evil.example/bridge?token=s3cret`, why: /refused: http:\/\/127\.0\.0\.1\.evil\.example:80 matches no prefix/ },
  ];

  it('is never requested (no request, no notification); the call is hung up with INVALID_MSG_UNSPECIFIED and one warn line without the query', { timeout: 20_000 }, async () => {
    for (const { url, why } of refused()) {
      const fs = await call(`${url} 300 300 1`);
      assert.deepEqual(fs.bridged, [], url);
      assert.deepEqual(fs.executed, ['set cti_bridge_error=FREECTI_ERR_BRIDGE_BAD_ARGS'], url);
      assert.deepEqual(fs.hangups, ['INVALID_MSG_UNSPECIFIED'], url);
      const lines = logs.filter((l) => l['uuid'] === fs.aUuid && l['level'] === 40);
      assert.equal(lines.length, 1, `one warn line for ${url}`);
      assert.match(String(lines[0]?.['msg']), why);
      assert.equal(lines[0]?.['code'], 'FREECTI_ERR_BRIDGE_BAD_ARGS');
    }
    // Give a request or a notification that escaped the check time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(app.requests, []);
    assert.deepEqual(other.requests, []);
    assert.ok(!JSON.stringify(logs).includes('s3cret'), 'no log line carries the query string');
  });

  it('an allowed URL still works: request, bridge, notifications', async () => {
    const fs = await call(`${app.url}?tenant=7 3000 3000 1`);
    assert.deepEqual(fs.bridged, ['user/1000']);
    assert.deepEqual(fs.hangups, ['NORMAL_CLEARING']);
    await app.waitFor('hangup');
    assert.equal(app.requests.filter((r) => r['uuid'] === fs.aUuid && r['action'] === 'request').length, 1);
    assert.deepEqual(other.requests, []);
  });
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
