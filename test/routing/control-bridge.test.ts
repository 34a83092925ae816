/**
 * Control mode (issue 13 item 2): a reply's `cti_bridge` and `bridge linegroup/...` run on
 * the socket the session holds (runBridge), with the service's line groups and allowed
 * URLs: a real OutboundServer, FreeSWITCH's side played by the fake FreeSWITCH's outbound
 * mode (control-call.ts), real webhook and cti_bridge applications, a real Redis.
 */
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.js';
import { createOutboundServer, type OutboundServer } from '../../src/esl/outbound-server.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { createRedis } from '../../src/redis.js';
import { LinegroupResolver } from '../../src/linegroups/resolver.js';
import { attachRoutingControl } from '../../src/routing/control-mode.js';
import { routeSchema } from '../../src/routing/route-schema.js';
import { RouteStore } from '../../src/routing/route-store.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhook/index.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';
import { startAppServer, type AppServer } from '../bridge/app-server.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { controlCall } from './control-call.js';

let webapp: TestApp;
let bridgeApp: AppServer;
let outbound: OutboundServer;
let store: RouteStore;
let resolver: LinegroupResolver;
let webhooks: WebhookClient;
let port: number;
let fake: FakeFreeSwitch;

const db = useRedis({
  afterStart: setup,
  connect: (url) => createRedis(loadConfig({ REDIS_URL: url }), createLogger('silent')),
  beforeStop: async () => {
    await fake.close();
    await outbound.close();
    await webhooks.close();
    await webapp.close();
    await bridgeApp.close();
  },
});

async function setup(): Promise<void> {
  webapp = await startApp((_req, res) => json(res, []));
  bridgeApp = await startAppServer(() => ({ body: JSON.stringify({ dial: { type: 'gateway', gateway: 'gw', number: '95555' } }) }));
  const logger = createLogger('silent');
  const keys = new Keys(uniquePrefix('ctlb'));
  store = new RouteStore(db.redis, keys, logger, 0);
  resolver = new LinegroupResolver({ redis: db.redis, keys, logger });
  await resolver.store.put('default', { maxAttempts: 2, lines: [{ id: 'a', gateway: 'gw-a', priority: 1 }, { id: 'b', gateway: 'gw-b', priority: 2 }] });
  webhooks = createWebhookClient();
  outbound = createOutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 2000, connectTimeoutMs: 2000, logger });
  // As the service wires it (src/service.ts): the composition root's resolver, bridge.allowedUrls from the config.
  const config = loadConfig({});
  attachRoutingControl(outbound, { config, logger, store, webhooks, policy: new FsPolicy(config.security), resolver });
  port = (await outbound.listen()).port;
  fake = await FakeFreeSwitch.start();
  await store.put(routeSchema.parse({ id: 'ctl', context: 'default', mode: 'control', url: `${webapp.url}/ivr`, responseTimeoutMs: 500, connectTimeoutMs: 500 }));
}

beforeEach(() => {
  webapp.seen.length = 0;
});

test('control reply cti_bridge: the bridge application is asked on the held socket and its gateway bridged; the call ends after it', async () => {
  webapp.handler = (_req, res) => json(res, [{ application: 'answer' }, { application: 'cti_bridge', data: `${bridgeApp.url} 3000 1000 1` }]);
  const call = await controlCall(fake, port, 'ctl', () => ({}));
  assert.ok(bridgeApp.requests.some((r) => r['uuid'] === call.uuid && r['action'] === 'request'));
  // The session is in myevents mode: no B-leg events reach it, so only the hangup notification (docs/routing.md).
  await bridgeApp.waitFor('hangup');
  assert.deepEqual(bridgeApp.actions(call.uuid), ['hangup']);
  assert.deepEqual(call.executed.map((e) => `${e.app} ${e.arg}`), ['answer ', 'bridge sofia/gateway/gw/95555']);
  assert.deepEqual(call.hangups, ['NORMAL_CLEARING']);
  assert.equal(webapp.seen.length, 1, 'a list with cti_bridge is final: no second request');
});

test('control reply bridge linegroup/<group>/<number>: lines picked by freecti, the first fails, the second answers', async () => {
  webapp.handler = (_req, res) => json(res, [{ application: 'bridge', data: 'linegroup/default/5551234' }]);
  const call = await controlCall(fake, port, 'ctl', (app, arg) => (app === 'bridge' && arg.includes('gw-a') ? { fails: 'NORMAL_CIRCUIT_CONGESTION' } : {}));
  const bridged = call.executed.filter((e) => e.app === 'bridge').map((e) => e.arg.replace(/^.*\]/, ''));
  assert.deepEqual(bridged, ['sofia/gateway/gw-a/5551234', 'sofia/gateway/gw-b/5551234'], 'never the raw linegroup/ string');
  assert.deepEqual(call.hangups, ['NORMAL_CLEARING']);
});

test('control reply cti_bridge with continue_on_fail: after a busy callee the application is asked again with the cause', async () => {
  let step = 0;
  webapp.handler = (_req, res) => {
    step += 1;
    json(res, step === 1 ? [{ application: 'cti_bridge', data: `${bridgeApp.url} 3000 1000 0 continue_on_fail=true` }] : [{ application: 'hangup', data: 'USER_BUSY' }]);
  };
  const call = await controlCall(fake, port, 'ctl', (app) => (app === 'bridge' ? { fails: 'USER_BUSY' } : {}));
  assert.deepEqual(call.executed.map((e) => `${e.app} ${e.arg}`), ['set continue_on_fail=true', 'bridge sofia/gateway/gw/95555', 'set cti_bridge_cause=USER_BUSY', 'hangup USER_BUSY']);
  assert.equal(webapp.seen.length, 2);
  const second = new URL(`http://x${webapp.seen[1]?.url ?? ''}`).searchParams;
  assert.deepEqual([second.get('last_application'), second.get('last_response')], ['cti_bridge', 'USER_BUSY']);
  assert.deepEqual([call.hangups, call.hangupCause], [[], 'USER_BUSY']);
});
