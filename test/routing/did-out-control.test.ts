/**
 * DID-out in control mode (issue 11 item 5, docs/routing.md "DID-out"): a reply's plain
 * `bridge` executed on the held socket shows the calling extension's DID-out caller id,
 * as the inline form does; a line-group bridge on the same session takes the entry through
 * the bridge feature. A real OutboundServer wired as the service wires it, the fake
 * FreeSWITCH's outbound mode (the recorded channel of extension 1000), a real webhook
 * application and the DID-out table in a real Redis.
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
import { didStores, type DidOutStore } from '../../src/nacd/did-store.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhook/index.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { controlCall } from './control-call.js';

const CID = 'origination_caller_id_number=4008001234,origination_caller_id_name=4008001234';

let webapp: TestApp;
let outbound: OutboundServer;
let webhooks: WebhookClient;
let didOut: DidOutStore;
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
  },
});

async function setup(): Promise<void> {
  webapp = await startApp((_req, res) => json(res, []));
  const logger = createLogger('silent');
  const keys = new Keys(uniquePrefix('ctld'));
  const store = new RouteStore(db.redis, keys, logger, 0);
  const resolver = new LinegroupResolver({ redis: db.redis, keys, logger });
  await resolver.store.put('carriers', { lines: [{ id: 'c1', gateway: 'gwc1' }] });
  didOut = didStores(db.redis, keys).out;
  webhooks = createWebhookClient();
  outbound = createOutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 2000, connectTimeoutMs: 2000, logger });
  const config = loadConfig({});
  // As src/service.ts wires it: the DID-out table of the nacd service.
  attachRoutingControl(outbound, { config, logger, store, webhooks, policy: new FsPolicy(config.security), resolver, didOut: (extension) => didOut.find(extension) });
  port = (await outbound.listen()).port;
  fake = await FakeFreeSwitch.start();
  await store.put(routeSchema.parse({ id: 'ctl', context: 'default', mode: 'control', url: `${webapp.url}/ivr`, responseTimeoutMs: 1000, connectTimeoutMs: 1000 }));
}

beforeEach(async () => {
  webapp.seen.length = 0;
  await didOut.put('1000', { callerId: '4008001234', gateway: 'carrier' });
});

const bridges = (executed: readonly { app: string; arg: string }[]): string[] => executed.filter((e) => e.app === 'bridge').map((e) => e.arg);

test('control reply bridge sofia/gateway/...: executed with the DID-out caller id; user/ legs and replies with their own caller id unchanged', async () => {
  webapp.handler = (_req, res) => json(res, [{ application: 'answer' }, { application: 'bridge', data: 'sofia/gateway/gw1/13800001111' }]);
  let call = await controlCall(fake, port, 'ctl');
  assert.deepEqual(call.executed.map((e) => `${e.app} ${e.arg}`), ['answer ', `bridge {${CID}}sofia/gateway/gw1/13800001111`]);

  webapp.handler = (_req, res) => json(res, [{ application: 'bridge', data: 'user/1001' }]);
  call = await controlCall(fake, port, 'ctl');
  assert.deepEqual(bridges(call.executed), ['user/1001']);

  webapp.handler = (_req, res) => json(res, [{ application: 'bridge', data: '{origination_caller_id_number=555}sofia/gateway/gw1/1' }]);
  call = await controlCall(fake, port, 'ctl');
  assert.deepEqual(bridges(call.executed), ['{origination_caller_id_number=555}sofia/gateway/gw1/1']);
});

test('a caller id set in an earlier step is kept by a later step\'s bridge', async () => {
  let step = 0;
  webapp.handler = (_req, res) => {
    step += 1;
    json(res, step === 1 ? [{ application: 'set', data: 'effective_caller_id_number=555' }] : [{ application: 'bridge', data: 'sofia/gateway/gw1/1' }]);
  };
  const call = await controlCall(fake, port, 'ctl');
  assert.deepEqual(call.executed.map((e) => `${e.app} ${e.arg}`), ['set effective_caller_id_number=555', 'bridge sofia/gateway/gw1/1']);
  assert.equal(webapp.seen.length, 2);
});

test('without an entry the bridge runs as written; a line-group bridge takes the entry on the bridge feature\'s path', async () => {
  await didOut.delete('1000');
  webapp.handler = (_req, res) => json(res, [{ application: 'bridge', data: 'sofia/gateway/gw1/13800001111' }]);
  let call = await controlCall(fake, port, 'ctl');
  assert.deepEqual(bridges(call.executed), ['sofia/gateway/gw1/13800001111']);

  await didOut.put('1000', { callerId: '4008001234', linegroup: 'carriers' });
  webapp.handler = (_req, res) => json(res, [{ application: 'bridge', data: 'linegroup/carriers/13800002222' }]);
  call = await controlCall(fake, port, 'ctl');
  assert.match(bridges(call.executed)[0] ?? '', new RegExp(`^\\{${CID}\\}\\[freecti_linegroup=carriers,freecti_line=c1,freecti_lease=[0-9a-f-]{36}\\]sofia/gateway/gwc1/13800002222$`));
});
