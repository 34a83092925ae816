/**
 * DID-out on a routing reply's plain `bridge` served as dialplan XML (issue 11 item 5,
 * docs/routing.md "DID-out"): the recorded mod_xml_curl request of extension 1000
 * (xml-curl/dialplan-call-1000-to-1001.http) sent byte for byte to the real app, a real
 * webhook application, the DID-out table managed over REST in a real Redis.
 */
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { createRedis } from '../../src/redis.js';
import { useRedis } from '../helpers/redis.js';
import { json, startApp, type TestApp } from '../webhook/http-app.js';
import { makeApp, recordedRequest, sendRaw, type Harness } from '../xml-curl/harness.js';
import { findAll, parseXml } from './xml-check.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN = 'admin-key-0123456789abcdef';
const UUID = '4bbe7137-63d5-417f-813b-44e1d04df14d';
const recorded = recordedRequest('dialplan-call-1000-to-1001');
const CID = 'origination_caller_id_number=4008001234,origination_caller_id_name=4008001234';

let webapp: TestApp;
let h: Harness;
let port: number;

const db = useRedis({
  afterStart: setup,
  connect: (url) => createRedis(loadConfig({ REDIS_URL: url }), createLogger('silent')),
  beforeStop: async () => {
    await h.app.close();
    await webapp.close();
  },
});

async function setup(): Promise<void> {
  webapp = await startApp((_req, res) => json(res, []));
  h = makeApp(db.redis, {
    redis: { url: db.server.url, keyPrefix: 'dido:' },
    admin: { keys: [ADMIN] },
    routing: { cacheMs: 0, routes: [{ id: 'main', context: 'default', url: `${webapp.url}/route`, responseTimeoutMs: 1000, connectTimeoutMs: 1000 }] },
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const address = h.app.server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
  await waitFor(async () => (await db.redis.hexists('dido:{freecti}:routes', 'main')) === 1);
}

async function didOut(number: string, entry: Record<string, unknown> | null): Promise<void> {
  const res = entry === null
    ? await h.app.inject({ method: 'DELETE', url: `/api/v1/nacd/did/out/${number}`, headers: { 'x-api-key': ADMIN } })
    : await h.app.inject({ method: 'PUT', url: `/api/v1/nacd/did/out/${number}`, headers: { 'x-api-key': ADMIN }, payload: entry });
  assert.ok(res.statusCode < 300 || (entry === null && res.statusCode === 404), res.body);
}

/** The bridge data of the document served for the recorded request, given the webhook's reply. */
async function served(reply: unknown): Promise<(string | undefined)[]> {
  webapp.handler = (_req, res) => json(res, reply);
  const res = await sendRaw(port, recorded.raw);
  assert.equal(res.status, 200);
  return findAll(parseXml(res.body), 'action').map((a) => `${a.attrs['application'] ?? ''} ${a.attrs['data'] ?? ''}`);
}

beforeEach(async () => {
  await didOut('1000', { callerId: '4008001234', gateway: 'carrier' });
  h.logs.length = 0;
});

test('a plain gateway bridge gets the calling extension\'s DID-out caller id (number and name), exactly once in front', async () => {
  assert.deepEqual(await served([{ application: 'bridge', data: 'sofia/gateway/gw1/13800001111' }]), [`bridge {${CID}}sofia/gateway/gw1/13800001111`]);
  assert.deepEqual(await served([{ application: 'bridge', data: '{leg_timeout=20}sofia/gateway/gw1/13800001111' }]), [`bridge {leg_timeout=20,${CID}}sofia/gateway/gw1/13800001111`]);
});

test('without a DID-out entry the bridge is served as the application wrote it', async () => {
  await didOut('1000', null);
  assert.deepEqual(await served([{ application: 'bridge', data: 'sofia/gateway/gw1/13800001111' }]), ['bridge sofia/gateway/gw1/13800001111']);
});

test('user/ legs never take it; in a mixed bridge only the gateway leg does', async () => {
  assert.deepEqual(await served([{ application: 'bridge', data: 'user/1001' }]), ['bridge user/1001']);
  assert.deepEqual(await served([{ application: 'bridge', data: 'user/1001,sofia/gateway/gw1/13800001111' }]), [`bridge user/1001,[${CID}]sofia/gateway/gw1/13800001111`]);
});

test('a leg or a reply with its own caller id keeps it', async () => {
  assert.deepEqual(await served([{ application: 'bridge', data: '[origination_caller_id_number=555]sofia/gateway/gw1/1' }]), ['bridge [origination_caller_id_number=555]sofia/gateway/gw1/1']);
  assert.deepEqual(
    await served([{ application: 'set', data: 'effective_caller_id_number=555' }, { application: 'bridge', data: 'sofia/gateway/gw1/1' }]),
    ['set effective_caller_id_number=555', 'bridge sofia/gateway/gw1/1'],
  );
  assert.deepEqual(
    await served([{ application: 'multiset', data: 'leg_timeout=20 origination_caller_id_number=555' }, { application: 'bridge', data: 'sofia/gateway/gw1/1' }]),
    ['multiset leg_timeout=20 origination_caller_id_number=555', 'bridge sofia/gateway/gw1/1'],
  );
  // A bridge before the reply's own caller id takes the DID; the one after keeps the reply's.
  assert.deepEqual(
    await served([
      { application: 'set', data: 'continue_on_fail=true' },
      { application: 'bridge', data: 'sofia/gateway/gw1/1' },
      { application: 'export', data: 'origination_caller_id_number=555' },
      { application: 'bridge', data: 'sofia/gateway/gw2/1' },
    ]),
    ['set continue_on_fail=true', `bridge {${CID}}sofia/gateway/gw1/1`, 'export origination_caller_id_number=555', 'bridge sofia/gateway/gw2/1'],
  );
});

test('the table is read only when the reply bridges out: an unreadable entry costs a user/ bridge nothing, a gateway bridge one warn line and its own dial string', async () => {
  await db.redis.hset('dido:{freecti}:nacd:did:out', '1000', '{"not":"valid"}');
  assert.deepEqual(await served([{ application: 'bridge', data: 'user/1001' }, { application: 'playback', data: 'x.wav' }]), ['bridge user/1001', 'playback x.wav']);
  assert.equal(h.logs.filter((l) => /DID-out table/.test(String(l['msg']))).length, 0);
  assert.deepEqual(await served([{ application: 'bridge', data: 'sofia/gateway/gw1/13800001111' }]), ['bridge sofia/gateway/gw1/13800001111']);
  const warned = h.logs.filter((l) => /cannot read the DID-out table/.test(String(l['msg'])));
  assert.equal(warned.length, 1);
  assert.equal(warned[0]?.['uuid'], UUID);
  assert.equal(warned[0]?.['caller'], '1000');
});
