/**
 * nacd's `nbridge <dial string>` (issue 11 item 6, docs/nacd.md "nbridge"): accepted where
 * `bridge` is, checked as bridge's dial string, served inline as `set cti_nbridge` +
 * `socket`, run on the held session in control mode, and rewritten by migrate-dialplan.
 * FreeSWITCH's side is the fake FreeSWITCH over real TCP (its outbound calls come from
 * extension 1000); the DID-out table and the line groups are in a real Redis; the routing
 * application is a real HTTP server.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { validateConfig } from '../../src/config/load.js';
import { createOutboundServer, type OutboundServer } from '../../src/esl/outbound-server.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { LinegroupResolver } from '../../src/linegroups/resolver.js';
import { migrateDialplan } from '../../src/migrate/dialplan.js';
import { didStores, type DidOutStore } from '../../src/nacd/did-store.js';
import { attachRoutingControl } from '../../src/routing/control-mode.js';
import { needsSocket, withLinegroupBridges } from '../../src/routing/control-dialplan.js';
import { parseActions } from '../../src/routing/reply.js';
import { routeSchema } from '../../src/routing/route-schema.js';
import { RouteStore } from '../../src/routing/route-store.js';
import { createDialplanRouter } from '../../src/routing/router.js';
import { findAll, parseXml } from '../routing/xml-check.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhook/index.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';
import { startHarness, type BridgeHarness } from '../bridge/harness.js';
import { controlCall } from '../routing/control-call.js';

const policy = new FsPolicy();
const CALLER_ID = '{origination_caller_id_number=4008001234,origination_caller_id_name=4008001234}';
const LEG_CALLER_ID = 'origination_caller_id_number=4008001234,origination_caller_id_name=4008001234';

let didOut: DidOutStore;
const db = useRedis({
  afterStart: async () => {
    didOut = didStores(db.redis, new Keys(uniquePrefix('nbridge'))).out;
    // Extension 1000 (the fake's caller) shows 4008001234 outside and leaves through line group carriers.
    await didOut.put('1000', { callerId: '4008001234', linegroup: 'carriers' });
    await didOut.put('1002', { callerId: '4008005678', gateway: 'gw9' });
  },
});
const lookup = async (extension: string): ReturnType<DidOutStore['find']> => didOut.find(extension);

describe('nbridge in routing replies', () => {
  it('is checked as bridge\'s dial string: nout/ legs and external legs only for a route allowed to go outbound', () => {
    const outbound = { outbound: true };
    const internal = { outbound: false, context: 'public' };
    for (const data of ['sofia/gateway/gw1/13800001111', 'nout/1000/13800001111', 'user/1001,linegroup/carriers/1380', '{leg_timeout=20}user/1001']) {
      assert.deepEqual(parseActions([{ application: 'nbridge', data }], policy, outbound), { ok: true, actions: [{ application: 'nbridge', data }] }, data);
    }
    assert.equal(parseActions([{ application: 'nbridge', data: 'user/1001' }], policy, internal).ok, true);
    const refused = (data: string, scope: typeof outbound | typeof internal): string => {
      const parsed = parseActions([{ application: 'nbridge', data }], policy, scope);
      assert.equal(parsed.ok, false, data);
      return parsed.ok ? '' : parsed.reason;
    };
    assert.match(refused('sofia/gateway/gw1/1380', internal), /^action 0: 'nbridge': .*would leave/);
    assert.match(refused('nout/1000/1380', internal), /nout\/ legs are for noriginate, nbridge/);
    assert.match(refused('evil/x', outbound), /endpoint 'evil' is not allowed/);
    assert.match(refused('{api_on_answer=system}user/1001', outbound), /api_on_answer/);
    assert.match(refused('nout/1000/1380x', outbound), /nout\/<extension>\/<number>/);
    // bridge itself still refuses nout/ legs: nothing would replace them.
    const plain = parseActions([{ application: 'bridge', data: 'nout/1000/1380' }], policy, outbound);
    assert.equal(plain.ok, false);
  });

  it('inline: served as set cti_nbridge=<dial string> + socket; the actions after it run when the bridge gives the call back', () => {
    const actions = [{ application: 'nbridge', data: 'sofia/gateway/gw1/13800001111' }, { application: 'playback', data: 'sorry.wav' }];
    assert.ok(needsSocket(actions[0]!));
    assert.deepEqual(withLinegroupBridges(actions, '127.0.0.1:8084'), [
      { application: 'set', data: 'cti_nbridge=sofia/gateway/gw1/13800001111' },
      { application: 'socket', data: '127.0.0.1:8084 async full' },
      { application: 'playback', data: 'sorry.wav' },
    ]);
  });

  it('migrate-dialplan rewrites <action application="nbridge"> into that form', () => {
    const xml = '<condition field="destination_number" expression="^9(\\d+)$">\n  <action application="nbridge" data="{ignore_early_media=true}sofia/gateway/gw1/$1"/>\n  <action application="nbridge"/>\n</condition>\n';
    const { text, notes } = migrateDialplan(xml, { socket: '127.0.0.1:8084' });
    assert.equal(
      text,
      '<condition field="destination_number" expression="^9(\\d+)$">\n  <action application="set" data="cti_nbridge={ignore_early_media=true}sofia/gateway/gw1/$1"/>\n  <action application="socket" data="127.0.0.1:8084 async full"/>\n  <action application="nbridge"/>\n</condition>\n',
    );
    assert.deepEqual(notes.map((n) => [n.line, n.changed]), [[2, true], [3, false]]);
    assert.match(notes[1]?.message ?? '', /nbridge without a dial string/);
  });
});

describe('nbridge on freecti\'s outbound socket (the inline form: cti_nbridge on the channel)', () => {
  let h: BridgeHarness;
  before(async () => {
    h = await startHarness({ didOut: lookup });
    await h.resolver.store.put('carriers', { lines: [{ id: 'c1', gateway: 'gwc1', cps: 50 }] });
  });
  after(async () => h.stop());

  it('end to end: the router serves a reply\'s nbridge as set cti_nbridge + socket, and that session bridges with the DID-out', async () => {
    const webapp = await startApp((_req, res) => json(res, [{ application: 'nbridge', data: 'sofia/gateway/gw1/13800001111' }, { application: 'hangup', data: 'NO_ROUTE_DESTINATION' }]));
    const webhooks = createWebhookClient();
    try {
      const logger = createLogger('silent');
      const store = new RouteStore(db.redis, new Keys(uniquePrefix('nbrouter')), logger, 0);
      await store.put(routeSchema.parse({ id: 'r1', context: 'default', url: `${webapp.url}/route`, allowOutbound: true }));
      const router = createDialplanRouter({ store, webhooks, logger, policy, controlSocket: '127.0.0.1:8084', publicContext: 'public' });
      const xml = await router.route(new Map([['Hunt-Context', 'default'], ['Hunt-Destination-Number', '913800001111'], ['Caller-Caller-ID-Number', '1000'], ['Unique-ID', '0f1e2d3c-0000-4a4a-9b9b-0123456789ab']]));
      const served = findAll(parseXml(xml), 'action').map((a) => [a.attrs['application'], a.attrs['data']]);
      assert.deepEqual(served, [['set', 'cti_nbridge=sofia/gateway/gw1/13800001111'], ['socket', '127.0.0.1:8084 async full'], ['hangup', 'NO_ROUTE_DESTINATION']]);
      const value = (served[0]?.[1] ?? '').replace(/^cti_nbridge=/, '');
      const { fs } = await h.call({ variables: { cti_nbridge: value }, bridges: ['answered'] });
      assert.deepEqual(fs.bridged, [`${CALLER_ID}sofia/gateway/gw1/13800001111`]);
    } finally {
      await webhooks.close();
      await webapp.close();
    }
  });

  it('a gateway leg shows the caller\'s DID-out caller id; its gateway is kept', async () => {
    const { fs, result } = await h.call({ variables: { cti_nbridge: 'sofia/gateway/gw1/13800001111' }, bridges: ['answered'] });
    assert.deepEqual(fs.bridged, [`${CALLER_ID}sofia/gateway/gw1/13800001111`]);
    assert.equal(result.answered, true);
  });

  it('a nout/ leg leaves through its extension\'s line group (a line picked under its limits) with that caller id', async () => {
    const { fs } = await h.call({ variables: { cti_nbridge: 'nout/1000/13800002222' }, bridges: ['answered'] });
    assert.equal(fs.bridged.length, 1);
    assert.match(fs.bridged[0] ?? '', new RegExp(`^\\[${LEG_CALLER_ID},freecti_linegroup=carriers,freecti_line=c1,freecti_lease=[0-9a-f-]{36}\\]sofia/gateway/gwc1/13800002222$`));
    const other = await h.call({ variables: { cti_nbridge: 'nout/1002/13900003333' }, bridges: ['answered'] });
    assert.deepEqual(other.fs.bridged, ['[origination_caller_id_number=4008005678,origination_caller_id_name=4008005678]sofia/gateway/gw9/13900003333']);
  });

  it('extension legs are bridged as written; with an external leg only that leg gets the caller id; a caller id of its own is kept', async () => {
    let { fs } = await h.call({ variables: { cti_nbridge: 'user/1001' }, bridges: ['answered'] });
    assert.deepEqual(fs.bridged, ['user/1001']);
    ({ fs } = await h.call({ variables: { cti_nbridge: 'user/1001,sofia/gateway/gw1/1380' }, bridges: ['answered'] }));
    assert.deepEqual(fs.bridged, [`user/1001,[${LEG_CALLER_ID}]sofia/gateway/gw1/1380`]);
    ({ fs } = await h.call({ variables: { cti_nbridge: '[origination_caller_id_number=555]sofia/gateway/gw1/1380' }, bridges: ['answered'] }));
    assert.deepEqual(fs.bridged, ['[origination_caller_id_number=555]sofia/gateway/gw1/1380']);
  });

  it('a nout/ leg of an extension without a DID-out entry fails like a bad dial string: nothing bridged, a clear error, the call ends', async () => {
    const { fs, result } = await h.call({ variables: { cti_nbridge: 'nout/1003/13800001111' } });
    assert.deepEqual(fs.bridged, []);
    assert.equal(result.cause, 'INVALID_MSG_UNSPECIFIED');
    assert.match(result.error?.message ?? '', /extension '1003' has no DID-out entry/);
    assert.equal(result.error?.code, 'FREECTI_ERR_BRIDGE_BAD_REPLY');
    assert.deepEqual(fs.hangups, ['INVALID_MSG_UNSPECIFIED']);
  });
});

describe('nbridge in control mode (the session freecti holds runs it)', () => {
  let webapp: TestApp;
  let outbound: OutboundServer;
  let webhooks: WebhookClient;
  let fake: FakeFreeSwitch;
  let port: number;
  before(async () => {
    webapp = await startApp((_req, res) => json(res, []));
    const logger = createLogger('silent');
    const keys = new Keys(uniquePrefix('nbctl'));
    const store = new RouteStore(db.redis, keys, logger, 0);
    const resolver = new LinegroupResolver({ redis: db.redis, keys, logger });
    await resolver.store.put('carriers', { lines: [{ id: 'c1', gateway: 'gwc1' }] });
    webhooks = createWebhookClient();
    outbound = createOutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 2000, connectTimeoutMs: 2000, logger });
    // The fake's calls come from context 'default': made the public context here, so that route 'in' may not go outbound.
    const config = validateConfig({ fsConfig: { publicContext: 'default' } });
    // As the service wires it (src/service.ts): the DID-out table reaches the bridge of the held session.
    attachRoutingControl(outbound, { config, logger, store, webhooks, policy: new FsPolicy(config.security), resolver, didOut: lookup });
    port = (await outbound.listen()).port;
    fake = await FakeFreeSwitch.start();
    await store.put(routeSchema.parse({ id: 'out', context: 'default', mode: 'control', allowOutbound: true, url: `${webapp.url}/ivr`, responseTimeoutMs: 500, connectTimeoutMs: 500 }));
    await store.put(routeSchema.parse({ id: 'in', context: 'default', mode: 'control', url: `${webapp.url}/ivr`, responseTimeoutMs: 500, connectTimeoutMs: 500 }));
  });
  after(async () => {
    await fake.close();
    await outbound.close();
    await webhooks.close();
    await webapp.close();
  });

  it('a reply nbridge: FreeSWITCH receives the bridge with the DID-out caller id; the call ends after it', async () => {
    webapp.handler = (_req, res) => json(res, [{ application: 'answer' }, { application: 'nbridge', data: 'sofia/gateway/gw1/13800001111' }]);
    const call = await controlCall(fake, port, 'out');
    assert.deepEqual(call.executed.map((e) => `${e.app} ${e.arg}`), ['answer ', `bridge ${CALLER_ID}sofia/gateway/gw1/13800001111`]);
    assert.deepEqual(call.hangups, ['NORMAL_CLEARING']);
  });

  it('a refused nbridge dial string falls back as bridge does: the session gives the call back (the route\'s fallback runs), nothing executed', async () => {
    for (const [route, data] of [['out', 'evil/13800001111'], ['in', 'sofia/gateway/gw1/13800001111'], ['in', 'nout/1000/1380']] as const) {
      webapp.handler = (_req, res) => json(res, [{ application: 'nbridge', data }]);
      const call = await controlCall(fake, port, route);
      assert.deepEqual(call.executed, [], `${route} ${data}`);
      assert.deepEqual(call.hangups, []);
      assert.equal(call.closedBy, 'client', 'freecti closed the socket: FreeSWITCH goes on with the fallback');
      // bridge refuses the same text the same way.
      webapp.handler = (_req, res) => json(res, [{ application: 'bridge', data }]);
      const bridged = await controlCall(fake, port, route);
      assert.deepEqual([bridged.executed, bridged.closedBy], [[], 'client']);
    }
  });
});
