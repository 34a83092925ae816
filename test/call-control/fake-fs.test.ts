/** The call-control API over a real HTTP socket and a real event socket to the fake FreeSWITCH. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request } from 'undici';
import { validateConfig } from '../../src/config/load.js';
import { createNodePool, type NodePool } from '../../src/esl/node-pool.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { KEY, makeApp } from '../cli-http/helpers.js';

let fake: FakeFreeSwitch;
let pool: NodePool;
let base: string;
let close: () => Promise<void>;

const db = useRedis({ afterStart: setup, beforeStop: async () => close() });

async function setup(): Promise<void> {
  fake = await FakeFreeSwitch.start();
  const config = { redis: { url: db.server.url, keyPrefix: uniquePrefix() }, cli: { key: KEY }, freeswitch: { nodes: [{ name: 'fs1', host: fake.host, port: fake.port, password: fake.password }] } };
  pool = createNodePool(validateConfig(config), createLogger('silent'));
  if (pool.nodes[0]!.status.state !== 'ready') await once(pool.nodes[0]!, 'ready');
  const { app } = makeApp(config, pool, db.redis);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/api/v1`;
  close = async () => {
    await app.close();
    await pool.close();
    await fake.close();
  };
}


async function call(method: 'GET' | 'DELETE' | 'POST', path: string, body?: object): Promise<{ status: number; json: Record<string, unknown> & { error?: { code: string } } }> {
  const res = await request(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> & { error?: { code: string } } };
}

test('live calls list, hangup of a live channel, 404 once it is gone', async () => {
  const uuid = fake.addChannel({ variables: { sip_from_user: '1000' } });
  const listed = await call('GET', '/calls');
  assert.equal(listed.status, 200);
  assert.deepEqual((listed.json['calls'] as { uuid: string }[]).map((c) => c.uuid), [uuid]);
  const killed = await call('DELETE', `/calls/${uuid}`);
  assert.equal(killed.status, 200);
  assert.equal((await fake.waitForCommand(/^api uuid_kill /)).line, `api uuid_kill ${uuid} NORMAL_CLEARING`);
  const again = await call('DELETE', `/calls/${uuid}`);
  assert.equal(again.status, 404);
  assert.equal(again.json.error?.code, 'FREECTI_ERR_CALL_NOT_FOUND');
});

test('click-to-call to an unregistered agent: accepted as a job, FreeSWITCH answers -ERR USER_NOT_REGISTERED in the BACKGROUND_JOB', async () => {
  const started = await call('POST', '/calls', { agent: '1015', customer: '1002' });
  assert.equal(started.status, 202);
  const sent = await fake.waitForCommand(/^bgapi originate /);
  assert.equal(sent.headers['Job-UUID'], started.json['jobUuid']);
  assert.match(sent.line, new RegExp(`^bgapi originate \\{origination_uuid=${String(started.json['uuid'])},.*\\}user/1015 &bridge\\(\\{origination_caller_id_number=1015\\}user/1002\\)$`));
});
