/**
 * The node-state queue is bounded (cluster.stateQueueMax): while Redis hangs (a proxy
 * holds every command), a burst of events never queues more than the bound (plus the
 * one catch-up reconcile); the rest are dropped and counted, and once Redis answers
 * again the reconcile leaves exactly what FreeSWITCH reports. After a drop, events are
 * dropped until that reconcile starts, so none applied after it can undo it.
 */
import { once } from 'node:events';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { NodeStateConsumer } from '../../src/cluster/node-state-consumer.js';
import { validateConfig } from '../../src/config/load.js';
import { createInboundClient, type InboundClient } from '../../src/esl/inbound-client.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { uniquePrefix, useRedis, type RedisFixture } from '../helpers/redis.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';

const logger = createLogger('silent');
const REALM = '127.0.0.1';

interface World {
  fake: FakeFreeSwitch;
  proxy: TcpProxy;
  node: InboundClient;
  consumer: NodeStateConsumer;
  /** Registered users as FreeSWITCH lists them. */
  registered: Map<string, string>;
  /** Events of the state subscription the node received so far. */
  received(): number;
  sofia(subclass: 'sofia::register' | 'sofia::unregister', user: string): void;
  channel(name: 'CHANNEL_CREATE' | 'CHANNEL_ANSWER' | 'CHANNEL_HANGUP_COMPLETE', uuid: string, user: string): void;
  hash(name: 'registrations' | 'calls'): string;
  close(): Promise<void>;
}

/** A fake FreeSWITCH, a consumer holding the node's lease, its Redis behind a proxy. */
async function startWorld(fixture: RedisFixture, max: number): Promise<World> {
  const fake = await FakeFreeSwitch.start();
  const proxy = await TcpProxy.start(fixture.server.port);
  const redis = new Redis(proxy.url, { maxRetriesPerRequest: null });
  const prefix = uniquePrefix('bound');
  const config = validateConfig({ redis: { keyPrefix: prefix }, cluster: { stateQueueMax: max } });
  const registered = new Map<string, string>();
  // No live channel: every call of these tests has hung up by the time anyone asks.
  fake.onApi('show', (args) => {
    if (args === 'channels as json') return '{"row_count": 0}\n';
    if (args !== 'registrations as json') return '-USAGE: show ...\n';
    const rows = [...registered].map(([user, callId]) => ({
      reg_user: user, realm: REALM, token: callId, url: `sofia/internal/sip:${user}@${REALM}:5080`,
      expires: String(Math.floor(Date.now() / 1000) + 3600), network_ip: REALM, network_port: '5080', network_proto: 'udp', hostname: 'fakefs', metadata: '',
    }));
    return rows.length === 0 ? '{"row_count": 0}\n' : JSON.stringify({ row_count: rows.length, rows });
  });
  const node = createInboundClient({
    name: 'fs1', host: fake.host, port: fake.port, password: fake.password, eventFormat: 'plain',
    commandTimeoutMs: 5000, connectTimeoutMs: 5000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, logger,
  });
  let received = 0;
  node.on('event', (event) => {
    if (event.name === 'CUSTOM' || event.name.startsWith('CHANNEL_')) received++;
  });
  // The lease runs on a manual clock: no renewal goes through the held proxy.
  const consumer = new NodeStateConsumer({ node, redis, keys: new Keys(prefix), config, logger, leaseClock: new ManualClock() });
  if (redis.status !== 'ready') await once(redis, 'ready');
  await waitFor(() => node.status.state === 'ready');
  await consumer.start();
  await waitFor(() => consumer.lease.isHolder);
  await waitFor(() => fake.received.some((c) => /^event .*CHANNEL_CREATE/.test(c.line)));
  await consumer.idle();
  return {
    fake, proxy, node, consumer, registered,
    received: () => received,
    sofia(subclass, user) {
      const callId = `call-${user}`;
      if (subclass === 'sofia::register') registered.set(user, callId);
      else registered.delete(user);
      fake.emitEvent({
        'Event-Subclass': subclass, 'Event-Name': 'CUSTOM', 'profile-name': 'internal', 'from-user': user, 'from-host': REALM,
        contact: `"" <sip:${user}@${REALM}:5080>`, 'call-id': callId, status: 'Registered(UDP)', expires: subclass === 'sofia::register' ? '3600' : '0',
        'network-ip': REALM, 'network-port': '5080', username: user, realm: REALM, 'user-agent': 'test', domain_name: REALM,
      });
    },
    channel(name, uuid, user) {
      fake.emitEvent({
        'Event-Name': name, 'Unique-ID': uuid, 'Call-Direction': 'inbound', 'Caller-Caller-ID-Number': user, 'Caller-Destination-Number': '7001',
        variable_user_name: user, variable_domain_name: REALM,
      });
    },
    hash: (name) => `${prefix}${name}`,
    async close() {
      await consumer.stop();
      await node.close();
      redis.disconnect();
      await proxy.close();
      await fake.close();
    },
  };
}

/** Calls Redis shows as live, by extension. */
async function liveCalls(redis: Redis, hash: string): Promise<Record<string, unknown[]>> {
  const records = await redis.hgetall(hash);
  return Object.fromEntries(Object.entries(records).map(([field, json]) => [field, (JSON.parse(json) as { activity?: unknown[] }).activity ?? []]));
}

describe('bounded node-state queue', () => {
  const fixture = useRedis();

  test('Redis hangs during a burst: at most stateQueueMax writes wait, the rest is dropped, the reconcile restores the state', async () => {
    const max = 50;
    const w = await startWorld(fixture, max);
    const hash = w.hash('registrations');
    try {
      for (let i = 0; i < 20; i++) w.sofia('sofia::register', `30${String(i).padStart(2, '0')}`);
      await waitFor(async () => (await fixture.redis.hlen(hash)) === 20);
      await w.consumer.idle();

      // Redis hangs; a burst: 600 new registrations, then 10 of the first ones unregister.
      w.proxy.hold();
      const before = w.received();
      for (let i = 0; i < 600; i++) w.sofia('sofia::register', `4${String(i).padStart(3, '0')}`);
      for (let i = 0; i < 10; i++) w.sofia('sofia::unregister', `30${String(i).padStart(2, '0')}`);
      await waitFor(() => w.received() - before === 610);
      assert.ok(w.consumer.queuedCount <= max + 1, `queued ${w.consumer.queuedCount}`);
      assert.ok(w.consumer.droppedQueue >= 610 - max, `dropped ${w.consumer.droppedQueue}`);

      // Redis answers again: the backlog is written, then the reconcile settles the state.
      w.proxy.release();
      await waitFor(() => w.consumer.queuedCount === 0);
      await w.consumer.idle();
      assert.ok(w.consumer.maxQueued <= max + 1, `at most ${max} writes and one reconcile queued, saw ${w.consumer.maxQueued}`);
      const fields = new Set(await fixture.redis.hkeys(hash));
      assert.deepEqual([...fields].sort(), [...w.registered.keys()].sort());
      assert.equal(fields.size, 610);
      assert.equal(fields.has('3000'), false, 'a dropped unregister is applied by the reconcile');
    } finally {
      await w.close();
    }
  });

  test('after a drop, an event that finds room again is dropped too until the reconcile starts: a call whose hangup was dropped does not come back', async () => {
    const max = 10;
    const w = await startWorld(fixture, max);
    const calls = w.hash('calls');
    try {
      // Redis hangs: the queue fills with registrations, and one more event is dropped.
      w.proxy.hold();
      const before = w.received();
      for (let i = 0; i < max + 1; i++) w.sofia('sofia::register', `50${String(i).padStart(2, '0')}`);
      await waitFor(() => w.received() - before === max + 1);
      assert.equal(w.consumer.droppedQueue, 1);
      // Redis answers two commands only: the queue has room again, the reconcile has not started.
      for (let answered = 0; answered < 2; answered++) {
        await waitFor(() => w.proxy.heldChunks > 0);
        const queued = w.consumer.queuedCount;
        w.proxy.releaseOne();
        await waitFor(() => w.consumer.queuedCount < queued);
      }
      assert.ok(w.consumer.queuedCount < max, `room for ${max - w.consumer.queuedCount} more`);
      // A call starts and ends meanwhile; its events find room, then the queue is full again.
      const seen = w.received();
      w.channel('CHANNEL_CREATE', 'call-x', '6001');
      w.channel('CHANNEL_ANSWER', 'call-x', '6001');
      for (let i = 0; i < max; i++) w.sofia('sofia::register', `51${String(i).padStart(2, '0')}`);
      w.channel('CHANNEL_HANGUP_COMPLETE', 'call-x', '6001');
      await waitFor(() => w.received() - seen === max + 3);

      w.proxy.release();
      await waitFor(() => w.consumer.queuedCount === 0);
      await w.consumer.idle();
      const live = await liveCalls(fixture.redis, calls);
      assert.deepEqual(live['6001'] ?? [], [], 'the call FreeSWITCH no longer has is not live in Redis');
      const fields = new Set(await fixture.redis.hkeys(w.hash('registrations')));
      assert.deepEqual([...fields].sort(), [...w.registered.keys()].sort());
    } finally {
      await w.close();
    }
  });
});
