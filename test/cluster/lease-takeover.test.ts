import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { NodeLease } from '../../src/cluster/node-lease.js';
import { NodeStateConsumer } from '../../src/cluster/node-state-consumer.js';
import { validateConfig } from '../../src/config/load.js';
import { EslEvent } from '../../src/esl/event.js';
import { createInboundClient, type InboundClient } from '../../src/esl/inbound-client.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { waitFor } from '../helpers/wait.js';

const logger = createLogger('silent');
// The leases run on manual clocks (no real waiting); the real keys live TTL real ms,
// far longer than a test, so Redis never expires one by itself meanwhile.
const TTL = 30_000;
const RENEW = 3_000;

describe('one consumer per node: lease, fencing and takeover', () => {
  let server: TestRedis;
  let redis: Redis;
  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  test('SET NX: one holder; renew keeps it; release hands it over at once', async () => {
    const key = `${uniquePrefix('lease')}{freecti}:lease:fs1`;
    const clock = new ManualClock();
    const a = new NodeLease({ redis, key, ttlMs: TTL, renewIntervalMs: RENEW, logger, token: 'token-a', clock });
    const b = new NodeLease({ redis, key, ttlMs: TTL, renewIntervalMs: RENEW, logger, token: 'token-b', clock });
    await a.tick();
    await b.tick();
    assert.equal(a.isHolder, true);
    assert.equal(b.isHolder, false);
    assert.equal(b.state, 'other');
    // Renewing sets the key's expiry to a whole ttl again (shortened here, as if time had passed).
    for (let i = 0; i < 3; i++) {
      await redis.pexpire(key, 1000);
      clock.advance(RENEW);
      await a.tick();
      await b.tick();
      assert.ok((await redis.pttl(key)) > TTL - 1000, 'renewed to a whole ttl');
    }
    assert.equal(a.isHolder, true);
    assert.equal(await redis.get(key), 'token-a');
    await a.stop({ release: true });
    assert.equal(await redis.get(key), null);
    await b.tick();
    assert.equal(b.isHolder, true);
    // A stale holder's renew does not steal it back.
    const stale = new NodeLease({ redis, key, ttlMs: TTL, renewIntervalMs: RENEW, logger, token: 'token-a' });
    await stale.tick();
    assert.equal(stale.isHolder, false);
    await b.stop();
  });

  test('two instances on one node: only the holder writes; a killed holder is replaced at the first round after its key expired; nothing lost or doubled', async () => {
    const fake = await FakeFreeSwitch.start();
    const prefix = uniquePrefix('cluster');
    const config = validateConfig({ redis: { keyPrefix: prefix }, cluster: { leaseTtlMs: TTL, renewIntervalMs: RENEW }, gui: { registration: { list: 'reg-list', listMax: 1000 } } });
    // What FreeSWITCH reports when asked (the reconcile after a takeover).
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
    const client = (name: string): InboundClient =>
      createInboundClient({
        name: 'fs1', host: fake.host, port: fake.port, password: fake.password, eventFormat: 'plain',
        commandTimeoutMs: 2000, connectTimeoutMs: 2000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, logger: logger.child({ instance: name }),
      });
    const nodeA = client('a');
    const nodeB = client('b');
    const keys = new Keys(prefix);
    const clockA = new ManualClock();
    const clockB = new ManualClock();
    const a = new NodeStateConsumer({ node: nodeA, redis, keys, config, logger, leaseToken: 'instance-a', leaseClock: clockA });
    const b = new NodeStateConsumer({ node: nodeB, redis, keys, config, logger, leaseToken: 'instance-b', leaseClock: clockB });
    const register = (user: string) => {
      const callId = `call-${user}`;
      registered.set(user, callId);
      fake.emitEvent({
        'Event-Subclass': 'sofia::register', 'Event-Name': 'CUSTOM', 'profile-name': 'internal', 'from-user': user, 'from-host': '127.0.0.1',
        contact: `"" <sip:${user}@127.0.0.1:5080>`, 'call-id': callId, status: 'Registered(UDP)', expires: '3600',
        'network-ip': '127.0.0.1', 'network-port': '5080', username: user, realm: '127.0.0.1', 'user-agent': 'test', domain_name: '127.0.0.1',
      });
    };
    try {
      // Subscribe once connected (see the report: a subscribe() racing the handshake can be lost).
      await waitFor(() => nodeA.status.state === 'ready' && nodeB.status.state === 'ready');
      await a.start();
      await waitFor(() => a.lease.isHolder);
      await b.start();
      await waitFor(() => b.lease.state === 'other');
      await fake.waitForConnections(2);
      await waitFor(() => fake.received.filter((c) => /^event .*sofia::register/.test(c.line)).length >= 2);

      for (let i = 0; i < 5; i++) register(`20${i}0`);
      await waitFor(async () => (await redis.hlen(`${prefix}registrations`)) === 5);
      await a.idle();
      await b.idle();
      assert.equal(a.written, 5);
      assert.equal(b.written, 0, 'the instance without the lease writes nothing');

      // Kill A: it stops renewing and consuming, without releasing the lease.
      await a.stop({ release: false });
      await nodeA.close();
      // An event while nobody holds the lease: recovered by B's reconcile.
      register('2999');
      // While A's key lives, B's rounds find it taken.
      clockB.advance(RENEW);
      await b.lease.idle();
      assert.equal(b.lease.state, 'other');
      // The ttl passes: Redis drops the key of a holder that stopped renewing (shortened
      // here instead of waited for). B's next round takes the lease.
      const leaseKey = keys.nodeLease('fs1');
      await redis.pexpire(leaseKey, 1);
      await waitFor(async () => (await redis.exists(leaseKey)) === 0);
      clockB.advance(RENEW);
      await b.lease.idle();
      assert.equal(b.lease.isHolder, true);
      await waitFor(async () => (await redis.hexists(`${prefix}registrations`, '2999')) === 1);

      for (let i = 5; i < 8; i++) register(`20${i}0`);
      await waitFor(async () => (await redis.hlen(`${prefix}registrations`)) === 9);
      await b.idle();
      assert.equal(b.written, 3);
      // Every event in the list exactly once (the reconciled one has no event of its own).
      const list = (await redis.lrange(`${prefix}reg-list`, 0, -1)).map((j) => (JSON.parse(j) as Record<string, string>)['username']);
      assert.equal(list.length, 8);
      assert.equal(new Set(list).size, 8);

      // A zombie A that still believes it holds the lease cannot write (fencing).
      const late = new EslEvent({ 'Event-Name': 'CUSTOM', 'Event-Subclass': 'sofia::register', username: '2777', realm: '127.0.0.1', 'call-id': 'z', expires: '60' });
      const zombie = await a.registrations.apply('fs1', late, Date.now(), { token: 'instance-a' }).then(() => 'written', (e: Error) => e.message);
      assert.match(zombie, /FREECTI_NOT_LEASE_HOLDER/);
      assert.equal(await redis.hexists(`${prefix}registrations`, '2777'), 0);
    } finally {
      await a.stop();
      await b.stop();
      await nodeA.close();
      await nodeB.close();
      await fake.close();
    }
  });
  test('after an ESL reconnect the holder reconciles: a registration FreeSWITCH no longer has is removed', async () => {
    const fake = await FakeFreeSwitch.start();
    const prefix = uniquePrefix('recon');
    const config = validateConfig({ redis: { keyPrefix: prefix }, cluster: { leaseTtlMs: TTL, renewIntervalMs: RENEW } });
    let listing = '{"row_count":1,"rows":[{"reg_user":"3001","realm":"127.0.0.1","token":"c-3001","url":"sofia/internal/sip:3001@127.0.0.1:5090","expires":"4102444800","network_ip":"127.0.0.1","network_port":"5090","network_proto":"udp","hostname":"fakefs","metadata":""}]}';
    fake.onApi('show', (args) => (args === 'registrations as json' ? listing : '{"row_count": 0}\n'));
    const node = createInboundClient({
      name: 'fs1', host: fake.host, port: fake.port, password: fake.password, eventFormat: 'json',
      commandTimeoutMs: 2000, connectTimeoutMs: 2000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, logger,
    });
    const consumer = new NodeStateConsumer({ node, redis, keys: new Keys(prefix), config, logger, leaseClock: new ManualClock() });
    try {
      await waitFor(() => node.status.state === 'ready');
      await consumer.start();
      await waitFor(async () => (await redis.hexists(`${prefix}registrations`, '3001')) === 1);
      // While the socket is down, 3001 unregisters and we miss the event.
      listing = '{"row_count": 0}\n';
      fake.dropConnections();
      await waitFor(async () => (await redis.hexists(`${prefix}registrations`, '3001')) === 0);
    } finally {
      await consumer.stop();
      await node.close();
      await fake.close();
    }
  });
});
