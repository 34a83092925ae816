/**
 * cti_originate with linegroup dial strings, end to end: /cli → the real line-group
 * resolver (src/linegroups/, real Redis) → originate over a real event socket to the
 * fake FreeSWITCH.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { validateConfig } from '../../src/config/load.js';
import { createNodePool, type NodePool } from '../../src/esl/node-pool.js';
import { Keys } from '../../src/keys.js';
import { LinegroupStore } from '../../src/linegroups/store.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { KEY, makeApp } from '../cli-http/helpers.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { SEED } from './seed-examples.js';

let fake: FakeFreeSwitch;
let pool: NodePool;
let app: ReturnType<typeof makeApp>['app'];

const db = useRedis({
  afterStart: setup,
  beforeStop: async () => {
    await app.close();
    await pool.close();
    await fake.close();
  },
});

async function setup(): Promise<void> {
  fake = await FakeFreeSwitch.start();
  const prefix = uniquePrefix('lg');
  const config = {
    redis: { url: db.server.url, keyPrefix: prefix },
    cli: { key: KEY, keyRatePerMinute: 0 },
    freeswitch: { nodes: [{ name: 'fs1', host: fake.host, port: fake.port, password: fake.password }] },
  };
  await new LinegroupStore(db.redis, new Keys(prefix)).put('default', { lines: [{ id: 'l1', gateway: 'gw1', maxConcurrent: 1 }] });
  await new LinegroupStore(db.redis, new Keys(prefix)).put('默认', { lines: [{ id: '联通1', gateway: 'gw-cn' }] });
  pool = createNodePool(validateConfig(config), createLogger('silent'));
  if (pool.nodes[0]!.status.state !== 'ready') await once(pool.nodes[0]!, 'ready');
  app = makeApp(config, pool, db.redis).app;
}

const cli = (cmd: string, arg: string) => app.inject({ method: 'GET', url: `/cli?key=${KEY}&cmd=${cmd}&arg=${encodeURIComponent(arg)}` });

test('seed example 2 via bgapi: linegroup/default/5555 is dialled on the group line; a failed originate gives the line back', async () => {
  const res = await cli('bgapi', `cti_originate ${SEED.example2}`);
  assert.equal(res.statusCode, 200);
  assert.match(res.body, /^\+OK Job-UUID: /);
  const sent = await fake.waitForCommand(/^bgapi originate /);
  assert.match(sent.line, /&bridge\(\{origination_caller_id_number=121,execute_on_answer_start_record='record_session \\\$\{record_filename\}'\}\[freecti_linegroup=default,freecti_line=l1,freecti_lease=[0-9a-f-]{36}\]sofia\/gateway\/gw1\/5555\)$/);
  // The fake answers the job with -ERR USER_NOT_REGISTERED (user/121): the line must come back.
  let again = await cli('cti_originate', 'user/1000 &bridge(linegroup/default/5556)');
  for (let i = 0; i < 100 && again.statusCode !== 200; i++) {
    await new Promise((r) => setTimeout(r, 20));
    again = await cli('cti_originate', 'user/1000 &bridge(linegroup/default/5556)');
  }
  assert.equal(again.statusCode, 200);
  assert.equal(again.body, '-ERR USER_NOT_REGISTERED\n');
});

test('a line held by a live call is not used twice (maxConcurrent 1): 503 LINEGROUP_NO_LINE; unknown group 404', async () => {
  fake.onApi('originate', () => '+OK 6d8ea7f4-1d1a-4e8c-9a55-0a1b2c3d4e5f\n');
  try {
    const first = await cli('cti_originate', '{origination_caller_id_number=9999}linegroup/default/13800000000 &park()');
    assert.equal(first.body, '+OK 6d8ea7f4-1d1a-4e8c-9a55-0a1b2c3d4e5f\n');
    const second = await cli('cti_originate', 'linegroup/default/13800000001 &park()');
    assert.equal(second.statusCode, 503);
    assert.equal(second.json().error.code, 'FREECTI_ERR_LINEGROUP_NO_LINE');
    const unknown = await cli('cti_originate', 'linegroup/nosuch/1 &park()');
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'FREECTI_ERR_LINEGROUP_NOT_FOUND');
  } finally {
    fake.offApi('originate');
  }
});

test('a UTF-8 line-group name (linegroup/默认/...), in the URL, the called leg and an inline bridge', async () => {
  const res = await cli('cti_originate', '{origination_caller_id_number=clicktocall}user/1000 &bridge({origination_caller_id_number=121}linegroup/默认/13800000000)');
  assert.equal(res.statusCode, 200, res.body);
  const sent = await fake.waitForCommand((c) => c.line.includes('freecti_linegroup=默认'));
  assert.match(sent.line, /&bridge\(\{origination_caller_id_number=121\}\[freecti_linegroup=默认,freecti_line=联通1,freecti_lease=[0-9a-f-]{36}\]sofia\/gateway\/gw-cn\/13800000000\)$/);
  const called = await cli('bgapi', "cti_originate linegroup/默认/5555 'playback:/tmp/a.wav' inline");
  assert.equal(called.statusCode, 200, called.body);
  const second = await fake.waitForCommand((c) => /^bgapi originate \[freecti_linegroup=默认,/.test(c.line));
  assert.match(second.line, /sofia\/gateway\/gw-cn\/5555 'playback:\/tmp\/a.wav' inline$/);
  // An unknown UTF-8 group is a clear 4xx, never passed to FreeSWITCH.
  const before = fake.received.length;
  const unknown = await cli('cti_originate', 'user/1000 &bridge(linegroup/不存在/5555)');
  assert.ok(unknown.statusCode >= 400 && unknown.statusCode < 500, unknown.body);
  assert.equal(fake.received.slice(before).filter((c) => c.line.includes('不存在')).length, 0);
});
