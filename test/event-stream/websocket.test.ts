/**
 * The event stream end to end: the fake FreeSWITCH emits events over a real event
 * socket, freecti streams them to real WebSocket clients (the `ws` package).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket from 'ws';
import { validateConfig } from '../../src/config/load.js';
import { createNodePool, type NodePool } from '../../src/esl/node-pool.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { KEY, makeApp } from '../cli-http/helpers.js';

const NO_EVENTS = 'no-events-key-0123456789abcdef';
let fake: FakeFreeSwitch;
let pool: NodePool;
let base: string;
let logs: Record<string, unknown>[];
let close: () => Promise<void>;

const db = useRedis({ afterStart: setup, beforeStop: async () => close() });

async function setup(): Promise<void> {
  fake = await FakeFreeSwitch.start();
  const config = {
    redis: { url: db.server.url, keyPrefix: uniquePrefix() },
    cli: { key: KEY, keyRatePerMinute: 0, keys: [{ id: 'no-events', key: NO_EVENTS, allow: ['status'] }], eventStreamMaxBufferedBytes: 64 * 1024 },
    freeswitch: { nodes: [{ name: 'fs1', host: fake.host, port: fake.port, password: fake.password }] },
  };
  pool = createNodePool(validateConfig(config), createLogger('silent'));
  if (pool.nodes[0]!.status.state !== 'ready') await once(pool.nodes[0]!, 'ready');
  const made = makeApp(config, pool, db.redis);
  logs = made.logs;
  await made.app.listen({ host: '127.0.0.1', port: 0 });
  const address = made.app.server.address();
  base = `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/api/v1/events`;
  close = async () => {
    await made.app.close();
    await pool.close();
    await fake.close();
  };
}


async function open(query: string): Promise<{ ws: WebSocket; messages: Record<string, unknown>[] }> {
  const ws = new WebSocket(`${base}?${query}`);
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
  await once(ws, 'open');
  return { ws, messages };
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('refused before the upgrade: wrong key 401, key without events 403, unknown event 400', async () => {
  for (const [query, status] of [['key=wrong', 401], [`key=${NO_EVENTS}`, 403], [`key=${KEY}&events=HEARTBEAT`, 400]] as const) {
    const ws = new WebSocket(`${base}?${query}`);
    ws.on('error', () => undefined);
    const [, response] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
    assert.equal(response.statusCode, status, query);
    ws.terminate();
  }
});

test('channel, registration and background-job events arrive, filtered per client', async () => {
  const all = await open(`key=${KEY}`);
  const ext = await open(`key=${KEY}&extension=1004&events=sofia::register,CHANNEL_ANSWER`);
  await fake.waitForCommand((c) => c.line.includes('sofia::register'));
  fake.emitEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'u-1000', 'Caller-Caller-ID-Number': '1000' });
  fake.emitEvent({ 'Event-Subclass': 'sofia::register', 'Event-Name': 'CUSTOM', username: '1004', 'profile-name': 'internal' });
  fake.emitEvent({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': 'u-1004', 'Caller-Caller-ID-Number': '1004' });
  await pool.nodes[0]!.bgapi('status');
  await until(() => all.messages.length >= 4, 'four events on the unfiltered client');
  assert.deepEqual(all.messages.map((m) => m['event']), ['CHANNEL_ANSWER', 'sofia::register', 'CHANNEL_HANGUP', 'BACKGROUND_JOB']);
  assert.equal(all.messages[0]?.['node'], 'fs1');
  assert.equal(all.messages[0]?.['uuid'], 'u-1000');
  assert.match(String(all.messages[3]?.['body']), /^UP /);
  // A last registration the filtered client wants: whatever it would have got from the
  // earlier events (sent before it, in order) has arrived once this one has.
  fake.emitEvent({ 'Event-Subclass': 'sofia::register', 'Event-Name': 'CUSTOM', username: '1004', 'profile-name': 'marker' });
  await until(() => ext.messages.length >= 2, 'the registrations on the filtered client');
  assert.deepEqual(ext.messages.map((m) => m['event']), ['sofia::register', 'sofia::register']);
  assert.equal((ext.messages[1]?.['headers'] as Record<string, string>)['profile-name'], 'marker');
  all.ws.close();
  ext.ws.close();
});

test('a client that stops reading is closed with 4008 slow consumer; memory stays bounded', async () => {
  const slow = await open(`key=${KEY}&events=CHANNEL_ANSWER`);
  const fast = await open(`key=${KEY}&events=CHANNEL_ANSWER`);
  slow.ws.pause();
  const padding = 'x'.repeat(16 * 1024);
  let emitted = 0;
  const dropped = () => logs.some((l) => l['msg'] === 'event stream: slow consumer dropped');
  for (let batch = 0; batch < 200 && !dropped(); batch++) {
    for (let i = 0; i < 20; i++, emitted++) fake.emitEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': `u-${emitted}`, variable_padding: padding });
    // The batch has reached freecti once a reply sent after it has (one connection, in order).
    await pool.nodes[0]!.api('status');
  }
  assert.ok(dropped(), `not dropped after ${emitted} events`);
  const drop = logs.find((l) => l['msg'] === 'event stream: slow consumer dropped');
  assert.ok(Number(drop?.['bufferedBytes']) <= 64 * 1024);
  const closed = once(slow.ws, 'close');
  slow.ws.resume();
  const [code, reason] = (await closed) as [number, Buffer];
  assert.equal(code, 4008);
  assert.equal(reason.toString(), 'slow consumer');
  assert.ok(slow.messages.length < emitted);
  await until(() => fast.messages.length === emitted, 'every event on the fast client', 10_000);
  fast.ws.close();
});
