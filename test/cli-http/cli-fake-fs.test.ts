/**
 * /cli end to end: real HTTP socket → freecti → real TCP event socket → the fake
 * FreeSWITCH (scripted from the recordings).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'undici';
import { validateConfig } from '../../src/config/load.js';
import { createNodePool, type NodePool } from '../../src/esl/node-pool.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { KEY, makeApp } from './helpers.js';

let fake: FakeFreeSwitch;
let pool: NodePool;
let base: string;
let close: () => Promise<void>;

const db = useRedis({ afterStart: setup, beforeStop: async () => close() });

async function setup(): Promise<void> {
  fake = await FakeFreeSwitch.start();
  const config = { redis: { url: db.server.url, keyPrefix: uniquePrefix() }, cli: { key: KEY, slowCommandWaitMs: 1000 }, freeswitch: { nodes: [{ name: 'fs1', host: fake.host, port: fake.port, password: fake.password }] } };
  pool = createNodePool(validateConfig(config), createLogger('silent'));
  const node = pool.nodes[0]!;
  if (node.status.state !== 'ready') await once(node, 'ready');
  const { app } = makeApp(config, pool, db.redis);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  close = async () => {
    await app.close();
    await pool.close();
    await fake.close();
  };
}


async function get(path: string): Promise<{ status: number; body: string; result: string | undefined }> {
  const res = await request(`${base}${path}`);
  const body = await res.body.text();
  return { status: res.statusCode, body, result: res.headers['x-freecti-result'] as string | undefined };
}

test('status: FreeSWITCH text exactly, through a real event socket', async () => {
  const res = await get(`/cli?key=${KEY}&cmd=status`);
  assert.equal(res.status, 200);
  assert.match(res.body, /^UP \d+ years?, \d+ days?, /);
  assert.ok(res.body.endsWith('\n'));
  const sent = await fake.waitForCommand('api status');
  assert.equal(sent.line, 'api status');
});

test('cti_originate: the recorded -ERR USER_NOT_REGISTERED comes back as HTTP 200 (run as bgapi, the same text)', async () => {
  const res = await get(`/cli?key=${KEY}&cmd=cti_originate&arg=%7Borigination_caller_id_number%3D9999%7Duser/1015+%26park()`);
  assert.equal(res.status, 200);
  assert.equal(res.body, '-ERR USER_NOT_REGISTERED\n');
  assert.equal(res.result, 'err');
  const sent = await fake.waitForCommand(/^bgapi originate /);
  assert.equal(sent.line, 'bgapi originate {origination_caller_id_number=9999}user/1015 &park()');
});

test('bgapi: the Job-UUID FreeSWITCH accepted', async () => {
  const res = await get(`/cli?key=${KEY}&cmd=bgapi&arg=status`);
  assert.equal(res.status, 200);
  const match = /^\+OK Job-UUID: ([0-9a-f-]{36})\n$/.exec(res.body);
  assert.ok(match, res.body);
  const sent = await fake.waitForCommand((c) => c.line === 'bgapi status');
  assert.equal(sent.headers['Job-UUID'], match[1]);
});

test('a slow originate never blocks the node: its events keep flowing and another /cli status answers at once', async () => {
  const node = pool.nodes[0]!;
  await node.subscribe(['CHANNEL_CREATE']);
  const uuid = '6f2c1c1e-1111-4a4a-9b9b-0123456789ab';
  let finish: (text: string) => void = () => undefined;
  fake.onApi('originate', () => new Promise<string>((resolve) => (finish = resolve)));
  try {
    const pending = get(`/cli?key=${KEY}&cmd=originate&arg=%7Boriginate_timeout%3D30%7Duser/1000+%26park()`);
    await fake.waitForCommand((c) => c.line === 'bgapi originate {originate_timeout=30}user/1000 &park()');
    // While FreeSWITCH still rings the phone: an event of that node reaches freecti ...
    const seen = new Promise<string | undefined>((resolve) => {
      const onEvent = (event: { name: string; uuid: string | undefined }): void => {
        if (event.name !== 'CHANNEL_CREATE') return;
        node.off('event', onEvent as never);
        resolve(event.uuid);
      };
      node.on('event', onEvent as never);
    });
    fake.emitEvent({ 'Event-Name': 'CHANNEL_CREATE', 'Unique-ID': uuid });
    assert.equal(await seen, uuid);
    // ... and another command answers while the originate is still unanswered.
    const status = await get(`/cli?key=${KEY}&cmd=status`);
    assert.equal(status.status, 200);
    assert.match(status.body, /^UP /);
    // The originate's caller gets exactly the text api would have answered.
    finish(`+OK ${uuid}\n`);
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.body, `+OK ${uuid}\n`);
    assert.equal(res.result, 'ok');
  } finally {
    fake.offApi('originate');
  }
});

test('a slow command past its wait: 504 ESL_TIMEOUT naming the job, and the node still answers', async () => {
  // uuid_answer is not on the quick list (docs/cli.md): it runs as bgapi, here for ever.
  fake.onApi('uuid_answer', () => new Promise<string>(() => undefined));
  const uuid = '6f2c1c1e-2222-4a4a-9b9b-0123456789ab';
  try {
    const res = await get(`/cli?key=${KEY}&cmd=uuid_answer&arg=${uuid}`);
    assert.equal(res.status, 504);
    const error = JSON.parse(res.body).error;
    assert.equal(error.code, 'FREECTI_ERR_ESL_TIMEOUT');
    const sent = await fake.waitForCommand((c) => c.line === `bgapi uuid_answer ${uuid}`);
    assert.equal(error.details.jobUuid, sent.headers['Job-UUID']);
    assert.equal(error.details.waitMs, 1000);
    assert.equal((await get(`/cli?key=${KEY}&cmd=status`)).status, 200);
  } finally {
    fake.offApi('uuid_answer');
  }
});

test('cti_originate with &echo and &park without parentheses (FreeSWITCH accepts both): sent as written', async () => {
  for (const app of ['echo', 'park']) {
    const res = await get(`/cli?key=${KEY}&cmd=cti_originate&arg=${encodeURIComponent(`{origination_caller_id_number=9999}user/1015 &${app}`)}`);
    assert.equal(res.status, 200, res.body);
    const sent = await fake.waitForCommand((c) => c.line === `bgapi originate {origination_caller_id_number=9999}user/1015 &${app}`);
    assert.ok(sent);
    const viaBgapi = await get(`/cli?key=${KEY}&cmd=bgapi&arg=${encodeURIComponent(`cti_originate user/1015 &${app}`)}`);
    assert.equal(viaBgapi.status, 200, viaBgapi.body);
    await fake.waitForCommand((c) => c.line === `bgapi originate user/1015 &${app}`);
  }
});

test('a dangerous command never reaches FreeSWITCH; FreeSWITCH down is 503', async () => {
  const before = fake.received.length;
  const denied = await get(`/cli?key=${KEY}&cmd=bgapi&arg=system+id`);
  assert.equal(denied.status, 403);
  assert.equal(fake.received.length, before);
  await fake.stop();
  try {
    for (let i = 0; i < 50 && pool.nodes[0]!.status.state === 'ready'; i++) await new Promise((r) => setTimeout(r, 20));
    const down = await get(`/cli?key=${KEY}&cmd=status`);
    assert.equal(down.status, 503);
    assert.match(JSON.parse(down.body).error.code, /^FREECTI_ERR_ESL_(NOT_CONNECTED|DISCONNECTED)$/);
  } finally {
    await fake.restart();
  }
});
