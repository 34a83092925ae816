/**
 * /cli end to end: real HTTP socket → freecti → real TCP event socket → the fake
 * FreeSWITCH (scripted from the recordings).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'undici';
import { validateConfig } from '../../src/config/load.js';
import { createNodePool, type NodePool } from '../../src/esl/node-pool.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { KEY, makeApp } from './helpers.js';

let fake: FakeFreeSwitch;
let pool: NodePool;
let base: string;
let close: () => Promise<void>;

before(async () => {
  fake = await FakeFreeSwitch.start();
  const config = { cli: { key: KEY }, freeswitch: { nodes: [{ name: 'fs1', host: fake.host, port: fake.port, password: fake.password }] } };
  pool = createNodePool(validateConfig(config), createLogger('silent'));
  const node = pool.nodes[0]!;
  if (node.status.state !== 'ready') await once(node, 'ready');
  const { app } = makeApp(config, pool);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  close = async () => {
    await app.close();
    await pool.close();
    await fake.close();
  };
});

after(async () => close());

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

test('cti_originate via api: the recorded -ERR USER_NOT_REGISTERED comes back as HTTP 200', async () => {
  const res = await get(`/cli?key=${KEY}&cmd=cti_originate&arg=%7Borigination_caller_id_number%3D9999%7Duser/1015+%26park()`);
  assert.equal(res.status, 200);
  assert.equal(res.body, '-ERR USER_NOT_REGISTERED\n');
  assert.equal(res.result, 'err');
  const sent = await fake.waitForCommand(/^api originate /);
  assert.equal(sent.line, 'api originate {origination_caller_id_number=9999}user/1015 &park()');
});

test('bgapi: the Job-UUID FreeSWITCH accepted', async () => {
  const res = await get(`/cli?key=${KEY}&cmd=bgapi&arg=status`);
  assert.equal(res.status, 200);
  const match = /^\+OK Job-UUID: ([0-9a-f-]{36})\n$/.exec(res.body);
  assert.ok(match, res.body);
  const sent = await fake.waitForCommand((c) => c.line === 'bgapi status');
  assert.equal(sent.headers['Job-UUID'], match[1]);
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
