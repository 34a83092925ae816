/**
 * DID-out on the cti_bridge / cti_dial path (issue 11 item 5, docs/nacd.md "DID"), with the
 * real DID-out table in Redis, a real webhook app and the fake FreeSWITCH (whose caller is
 * extension 1000):
 * - a leg that leaves without a caller id shows the extension's DID-out callerId;
 * - a leg that names only a number (`nout/<extension>/<number>`, a `gateway` reply without a
 *   gateway) leaves through the entry's line group: a line slot taken and released, the
 *   line group's limits (a full CPS window: no line) and failover; or its gateway;
 * - a leg that names its own gateway or line group keeps it; internal dials are unchanged;
 * - cti_curl replies' plain bridges take it like routing replies' (src/routing/did-out.ts).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startAppServer, type AppReply, type AppServer } from './app-server.js';
import { startHarness, type BridgeHarness } from './harness.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';
import { planDial, withDidOutPlan } from '../../src/bridge/dial-target.js';
import { didStores, type DidOutStore } from '../../src/nacd/did-store.js';
import { withDidOutCallerId, withNoutRoutes } from '../../src/nacd/did-out.js';

const CID = 'origination_caller_id_number=4008001234,origination_caller_id_name=4008001234';
const LEASE = '[0-9a-f-]{36}';

describe('cti_bridge with the DID-out table', () => {
  let h: BridgeHarness;
  let app: AppServer;
  let didOut: DidOutStore;
  let reply: AppReply = { body: '{}' };
  let curlApp: TestApp;
  let curlReply: unknown = [];
  const asked: string[] = [];
  before(async () => {
    h = await startHarness({
      didOut: async (extension) => {
        asked.push(extension);
        return didOut.find(extension);
      },
      curl: { allowOutbound: true },
    });
    didOut = didStores(h.redis, h.keys).out;
    app = await startAppServer(() => reply);
    curlApp = await startApp((_req, res) => json(res, curlReply));
    await h.resolver.store.put('carriers', { maxAttempts: 2, lines: [{ id: 'c1', gateway: 'gwc1', priority: 1 }, { id: 'c2', gateway: 'gwc2', priority: 2 }] });
    await h.resolver.store.put('slow', { lines: [{ id: 's1', gateway: 'gws1', cps: 1 }] });
    await h.resolver.store.put('named', { lines: [{ id: 'n1', gateway: 'gwn1' }] });
  });
  beforeEach(async () => {
    await didOut.put('1000', { callerId: '4008001234', linegroup: 'carriers' });
    asked.length = 0;
  });
  after(async () => {
    await app.close();
    await curlApp.close();
    await h.stop();
  });

  const active = async (group: string): Promise<number[]> => (await h.resolver.slots.status(group, (await h.resolver.store.get(group)).lines)).map((s) => s.active);

  it('a gateway dial without a caller id shows the extension\'s DID (number and name); its gateway is kept', async () => {
    reply = { body: JSON.stringify({ dial: { type: 'gateway', gateway: 'gw1', number: '13800001111' } }) };
    const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['answered'] });
    assert.deepEqual(fs.bridged, [`{${CID}}sofia/gateway/gw1/13800001111`]);
    assert.deepEqual(asked, ['1000']);
  });

  it('a gateway reply without a gateway leaves through the entry\'s line group: slot taken, then released', async () => {
    reply = { body: JSON.stringify({ dial: { type: 'gateway', number: '13800003333' } }) };
    const { fs, result } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['answered'] });
    assert.equal(fs.bridged.length, 1);
    assert.match(fs.bridged[0] ?? '', new RegExp(`^\\[${CID},freecti_linegroup=carriers,freecti_line=c1,freecti_lease=${LEASE}\\]sofia/gateway/gwc1/13800003333$`));
    assert.equal(result.answered, true);
    assert.deepEqual(await active('carriers'), [0, 0]);
  });

  it('a gateway-less reply with its own caller id in variables: the entry\'s route, the reply\'s caller id', async () => {
    reply = { body: JSON.stringify({ variables: { origination_caller_id_number: '555' }, dial: { type: 'gateway', number: '13800003334' } }) };
    const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['answered'] });
    assert.match(fs.bridged[0] ?? '', new RegExp(`^\\{origination_caller_id_number=555\\}\\[freecti_linegroup=carriers,freecti_line=c1,freecti_lease=${LEASE}\\]sofia/gateway/gwc1/13800003334$`));
  });

  it('cti_dial nout/<extension>/<number>: the entry\'s line group with failover (congested line, then the next)', async () => {
    const { fs, result } = await h.call({ variables: { cti_dial: 'nout/1000/13800004444' }, bridges: ['congestion', 'answered'] });
    assert.equal(fs.bridged.length, 2);
    assert.match(fs.bridged[0] ?? '', new RegExp(`^\\[${CID},freecti_linegroup=carriers,freecti_line=c1,freecti_lease=${LEASE}\\]sofia/gateway/gwc1/13800004444$`));
    assert.match(fs.bridged[1] ?? '', new RegExp(`^\\[${CID},freecti_linegroup=carriers,freecti_line=c2,freecti_lease=${LEASE}\\]sofia/gateway/gwc2/13800004444$`));
    assert.equal(result.answered, true);
    const status = await h.resolver.slots.status('carriers', (await h.resolver.store.get('carriers')).lines);
    assert.deepEqual(status.map((s) => [s.id, s.active, s.failures]), [['c1', 0, 1], ['c2', 0, 0]]);
  });

  it('an entry with a gateway: the gateway, no line slot', async () => {
    await didOut.put('1000', { callerId: '4008001234', gateway: 'carrier-gw' });
    const { fs } = await h.call({ variables: { cti_dial: '[x=1]nout/1000/13800005555' }, bridges: ['answered'] });
    assert.deepEqual(fs.bridged, [`[x=1,${CID}]sofia/gateway/carrier-gw/13800005555`]);
  });

  it('the line group\'s CPS is full: nothing is dialled, the caller hears congestion (LINEGROUP_NO_LINE)', async () => {
    await didOut.put('1000', { callerId: '4008001234', linegroup: 'slow' });
    // One call taken "now" fills the line's 1 call per second (a window entry dated ahead keeps it full for the test).
    const window = h.keys.line('slow', 's1').cps;
    await h.redis.zadd(window, Date.now() + 3_600_000, 'held-by-test');
    try {
      reply = { body: JSON.stringify({ dial: { type: 'gateway', number: '13800006666' } }) };
      const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` } });
      assert.deepEqual([fs.bridged, fs.hangups, fs.executed], [[], ['NORMAL_CIRCUIT_CONGESTION'], ['set cti_bridge_error=FREECTI_ERR_LINEGROUP_NO_LINE']]);
    } finally {
      await h.redis.zrem(window, 'held-by-test');
    }
    // The window free again: the same reply dials.
    const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['answered'] });
    assert.match(fs.bridged[0] ?? '', /freecti_line=s1,.*\]sofia\/gateway\/gws1\/13800006666$/);
  });

  it('a named line group keeps it (the DID caller id on its line leg)', async () => {
    const { fs } = await h.call({ variables: { cti_dial: 'linegroup/named/13800002222' }, bridges: ['answered'] });
    assert.match(fs.bridged[0] ?? '', new RegExp(`^\\{${CID}\\}\\[freecti_linegroup=named,freecti_line=n1,freecti_lease=${LEASE}\\]sofia/gateway/gwn1/13800002222$`));
  });

  it('a number dialled at a gateway registered as an extension (user + number) leaves: its {...} takes the DID', async () => {
    reply = { body: JSON.stringify({ variables: { leg_timeout: 20 }, dial: { type: 'user', user: 'gw1', number: '13800009999' } }) };
    const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['answered'], sofiaContact: () => 'sofia/internal/sip:gw1@192.0.2.7:5072' });
    assert.deepEqual(fs.bridged, [`{leg_timeout=20,${CID}}sofia/internal/sip:13800009999@192.0.2.7:5072`]);
  });

  it('no entry for a gateway-less dial: BRIDGE_BAD_REPLY, nothing dialled', async () => {
    await didOut.delete('1000');
    reply = { body: JSON.stringify({ dial: { type: 'gateway', number: '13800007777' } }) };
    const { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` } });
    assert.deepEqual([fs.bridged, fs.hangups, fs.executed], [[], ['INVALID_MSG_UNSPECIFIED'], ['set cti_bridge_error=FREECTI_ERR_BRIDGE_BAD_REPLY']]);
  });

  it('cti_curl: a plain gateway bridge of its reply shows the DID; a user/ bridge does not read the table', async () => {
    curlReply = [{ application: 'bridge', data: 'sofia/gateway/gw1/13800008888' }];
    let { fs } = await h.callCurl({ variables: { cti_curl: `${curlApp.url}/app` }, bridges: ['answered'] });
    assert.deepEqual(fs.bridged, [`{${CID}}sofia/gateway/gw1/13800008888`]);
    assert.deepEqual(asked, ['1000']);
    asked.length = 0;
    curlReply = [{ application: 'bridge', data: 'user/1001' }];
    ({ fs } = await h.callCurl({ variables: { cti_curl: `${curlApp.url}/app` }, bridges: ['answered'] }));
    assert.deepEqual([fs.bridged, asked], [['user/1001'], []]);
  });

  it('a reply with its own caller id, and an internal dial, are left alone (no table read for user/)', async () => {
    reply = { body: JSON.stringify({ variables: { origination_caller_id_number: '555' }, dial: { type: 'gateway', gateway: 'gw1', number: '13800001111' } }) };
    let { fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['answered'] });
    assert.deepEqual(fs.bridged, ['{origination_caller_id_number=555}sofia/gateway/gw1/13800001111']);
    reply = { body: JSON.stringify({ dial: { type: 'user', user: '1001' } }) };
    asked.length = 0;
    ({ fs } = await h.call({ variables: { cti_bridge: `${app.url} 3000 3000 1` }, bridges: ['answered'] }));
    assert.deepEqual(fs.bridged, ['user/1001']);
    assert.deepEqual(asked, []);
  });
});

describe('DID-out on dial strings (pure)', () => {
  it('the caller id goes on the legs that leave without one, never on user/ legs', () => {
    const items = 'origination_caller_id_number=400,origination_caller_id_name=400';
    assert.equal(withDidOutCallerId('sofia/external/13800001111@10.0.0.9', '400'), `{${items}}sofia/external/13800001111@10.0.0.9`);
    assert.equal(withDidOutCallerId('{a=1}sofia/gateway/g/1', '400'), `{a=1,${items}}sofia/gateway/g/1`);
    assert.equal(withDidOutCallerId('{a=1}user/1001,[b=2]sofia/gateway/g/1|sofia/gateway/h/2', '400'), `{a=1}user/1001,[b=2,${items}]sofia/gateway/g/1|[${items}]sofia/gateway/h/2`);
    assert.equal(withDidOutCallerId('{^^:a=1:b=2}sofia/gateway/g/1', '400'), `{^^:a=1:b=2}[${items}]sofia/gateway/g/1`);
    const entries = new Map([['1000', { callerId: '400', linegroup: 'lg' }]]);
    assert.equal(withNoutRoutes('[x=1]nout/1000/55,user/1001', entries), `[x=1,${items}]linegroup/lg/55,user/1001`);
    assert.equal(withNoutRoutes('{origination_caller_id_number=9}nout/1000/55', entries), '{origination_caller_id_number=9}linegroup/lg/55');
    for (const own of ['[origination_caller_id_number=9]sofia/gateway/g/1', '{effective_caller_id_number=9}sofia/gateway/g/1', 'user/1001', 'sofia/internal/1001%example.com']) {
      assert.equal(withDidOutCallerId(own, '400'), own);
    }
  });

  it('plans: a line-group plan takes it in its head, and is planned again', () => {
    const plan = (dialstring: string) => planDial({ dial: { type: 'dialstring', dialstring } });
    const lg = withDidOutPlan(plan('[x=1]linegroup/carriers/1'), '400');
    assert.deepEqual(lg, plan('{origination_caller_id_number=400,origination_caller_id_name=400}[x=1]linegroup/carriers/1'));
    assert.deepEqual(withDidOutPlan(plan('{origination_caller_id_number=7}linegroup/carriers/1'), '400'), plan('{origination_caller_id_number=7}linegroup/carriers/1'));
  });
});
