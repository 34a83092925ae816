/**
 * The node-state queue is bounded (cluster.stateQueueMax): while Redis hangs (a proxy
 * holds every command), a burst of registration events never queues more than the
 * bound (plus the one catch-up reconcile); the rest are dropped and counted, and once
 * Redis answers again the reconcile leaves exactly what FreeSWITCH reports, including
 * the unregisters that were dropped.
 */
import { once } from 'node:events';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { NodeStateConsumer } from '../../src/cluster/node-state-consumer.js';
import { validateConfig } from '../../src/config/load.js';
import { createInboundClient } from '../../src/esl/inbound-client.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';

const logger = createLogger('silent');
const MAX = 50;

describe('bounded node-state queue', () => {
  const fixture = useRedis();

  test('Redis hangs during a burst: at most stateQueueMax writes wait, the rest is dropped, the reconcile restores the state', async () => {
    const fake = await FakeFreeSwitch.start();
    const proxy = await TcpProxy.start(fixture.server.port);
    const redis = new Redis(proxy.url, { maxRetriesPerRequest: null });
    const prefix = uniquePrefix('bound');
    const config = validateConfig({ redis: { keyPrefix: prefix }, cluster: { stateQueueMax: MAX } });
    // What FreeSWITCH reports: user -> call-id.
    const registered = new Map<string, string>();
    fake.onApi('show', (args) => {
      if (args === 'channels as json') return '{"row_count": 0}\n';
      if (args !== 'registrations as json') return '-USAGE: show ...\n';
      const rows = [...registered].map(([user, callId]) => ({
        reg_user: user, realm: '127.0.0.1', token: callId, url: `sofia/internal/sip:${user}@127.0.0.1:5080`,
        expires: String(Math.floor(Date.now() / 1000) + 3600), network_ip: '127.0.0.1', network_port: '5080', network_proto: 'udp', hostname: 'fakefs', metadata: '',
      }));
      return rows.length === 0 ? '{"row_count": 0}\n' : JSON.stringify({ row_count: rows.length, rows });
    });
    const sofia = (subclass: 'sofia::register' | 'sofia::unregister', user: string): void => {
      const callId = `call-${user}`;
      if (subclass === 'sofia::register') registered.set(user, callId);
      else registered.delete(user);
      fake.emitEvent({
        'Event-Subclass': subclass, 'Event-Name': 'CUSTOM', 'profile-name': 'internal', 'from-user': user, 'from-host': '127.0.0.1',
        contact: `"" <sip:${user}@127.0.0.1:5080>`, 'call-id': callId, status: 'Registered(UDP)', expires: subclass === 'sofia::register' ? '3600' : '0',
        'network-ip': '127.0.0.1', 'network-port': '5080', username: user, realm: '127.0.0.1', 'user-agent': 'test', domain_name: '127.0.0.1',
      });
    };
    const node = createInboundClient({
      name: 'fs1', host: fake.host, port: fake.port, password: fake.password, eventFormat: 'plain',
      commandTimeoutMs: 5000, connectTimeoutMs: 5000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, logger,
    });
    let received = 0;
    node.on('event', (event) => {
      if (event.name === 'CUSTOM') received++;
    });
    // The lease runs on a manual clock: no renewal goes through the held proxy.
    const consumer = new NodeStateConsumer({ node, redis, keys: new Keys(prefix), config, logger, leaseClock: new ManualClock() });
    const hash = `${prefix}registrations`;
    try {
      if (redis.status !== 'ready') await once(redis, 'ready');
      await waitFor(() => node.status.state === 'ready');
      await consumer.start();
      await waitFor(() => consumer.lease.isHolder);
      await waitFor(() => fake.received.some((c) => /^event .*sofia::register/.test(c.line)));
      for (let i = 0; i < 20; i++) sofia('sofia::register', `30${String(i).padStart(2, '0')}`);
      await waitFor(async () => (await fixture.redis.hlen(hash)) === 20);
      await consumer.idle();

      // Redis hangs; a burst: 600 new registrations, then 10 of the first ones unregister.
      proxy.hold();
      const before = received;
      for (let i = 0; i < 600; i++) sofia('sofia::register', `4${String(i).padStart(3, '0')}`);
      for (let i = 0; i < 10; i++) sofia('sofia::unregister', `30${String(i).padStart(2, '0')}`);
      await waitFor(() => received - before === 610);
      assert.ok(consumer.queuedCount <= MAX + 1, `queued ${consumer.queuedCount}`);
      assert.ok(consumer.droppedQueue >= 610 - MAX, `dropped ${consumer.droppedQueue}`);

      // Redis answers again: the backlog is written, then the reconcile settles the state.
      proxy.release();
      await waitFor(() => consumer.queuedCount === 0);
      await consumer.idle();
      assert.ok(consumer.maxQueued <= MAX + 1, `at most ${MAX} writes and one reconcile queued, saw ${consumer.maxQueued}`);
      const fields = new Set(await fixture.redis.hkeys(hash));
      assert.deepEqual([...fields].sort(), [...registered.keys()].sort());
      assert.equal(fields.size, 610);
      assert.equal(fields.has('3000'), false, 'a dropped unregister is applied by the reconcile');
    } finally {
      await consumer.stop();
      await node.close();
      redis.disconnect();
      await proxy.close();
      await fake.close();
    }
  });
});
