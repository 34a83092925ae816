/**
 * No blind start (issue 12 item 6): the first lease attempt happens as soon as Redis is
 * ready, /health does not count a node ready while its lease state is unknown, and the
 * events of that time are kept and written once the lease is held (or dropped when
 * another instance holds it).
 */
import { holderDigest } from '../../src/cluster/node-state-consumers.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { NodeStateConsumer } from '../../src/cluster/node-state-consumer.js';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { createInboundClient } from '../../src/esl/inbound-client.js';
import type { HealthReport } from '../../src/http/routes/health.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { freePort, startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const logger = createLogger('silent');
/** Longer than any wait below: nothing may depend on the second lease attempt. */
const RENEW = 20_000;
const TTL = 30_000;

/** What the fake FreeSWITCH reports in `show registrations` (the reconcile after acquiring). */
const registered = new Set<string>();

function register(fake: FakeFreeSwitch, user: string): void {
  registered.add(user);
  fake.emitEvent({
    'Event-Subclass': 'sofia::register', 'Event-Name': 'CUSTOM', 'profile-name': 'internal', 'from-user': user, 'from-host': '127.0.0.1',
    contact: `"" <sip:${user}@127.0.0.1:5080>`, 'call-id': `call-${user}`, status: 'Registered(UDP)', expires: '3600',
    'network-ip': '127.0.0.1', 'network-port': '5080', username: user, realm: '127.0.0.1', 'user-agent': 'test', domain_name: '127.0.0.1',
  });
}

/**
 * FreeSWITCH reports what was registered, so the reconcile keeps it; only a written event
 * adds an entry to the registration list (`reg-list`), a reconcile does not.
 */
function emptyShow(fake: FakeFreeSwitch): void {
  fake.onApi('show', (args) => {
    if (args !== 'registrations as json' || registered.size === 0) return '{"row_count": 0}\n';
    const rows = [...registered].map((user) => ({
      reg_user: user, realm: '127.0.0.1', token: `call-${user}`, url: `sofia/internal/sip:${user}@127.0.0.1:5080`,
      expires: String(Math.floor(Date.now() / 1000) + 3600), network_ip: '127.0.0.1', network_port: '5080', network_proto: 'udp', hostname: 'fakefs', metadata: '',
    }));
    return JSON.stringify({ row_count: rows.length, rows });
  });
}

const listed = async (redis: Redis, prefix: string): Promise<string[]> =>
  (await redis.lrange(`${prefix}reg-list`, 0, -1)).map((j) => (JSON.parse(j) as Record<string, string>)['username'] ?? '');

const subscribed = (fake: FakeFreeSwitch): boolean => fake.received.some((c) => /^event .*sofia::register/.test(c.line));

describe('no blind start', () => {
  test('service: Redis comes up after start; /health is 503 with lease unknown, then the kept registration is written and the node is ready', async () => {
    const fake = await FakeFreeSwitch.start();
    emptyShow(fake);
    const redisPort = await freePort();
    const prefix = uniquePrefix('blind');
    const base = loadConfig({
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      FREECTI_FS: `fs1=${fake.password}@${fake.host}:${fake.port}`,
      FREECTI_HTTP: `127.0.0.1:${await freePort()}`,
      FREECTI_ESL_OUTBOUND: `127.0.0.1:${await freePort()}`,
    });
    const config = {
      ...base,
      redis: { ...base.redis, keyPrefix: prefix },
      cluster: { ...base.cluster, leaseTtlMs: TTL, renewIntervalMs: RENEW },
      gui: { ...base.gui, registration: { ...base.gui.registration, list: 'reg-list' } },
    };
    const service = await startService(config, logger);
    let child: ChildProcess | undefined;
    let redis: Redis | undefined;
    try {
      const health = async (): Promise<{ status: number; body: HealthReport }> => {
        const res = await fetch(`${service.url}/health`);
        return { status: res.status, body: (await res.json()) as HealthReport };
      };
      await waitFor(() => subscribed(fake));
      // ESL is up, Redis is not: the lease state is unknown, so the node is not ready.
      const before = await health();
      assert.equal(before.status, 503);
      assert.equal(before.body.freeswitch.nodes[0]?.state, 'ready');
      assert.equal(before.body.freeswitch.nodes[0]?.ready, false);
      assert.deepEqual(before.body.freeswitch.nodes[0]?.lease, { state: 'unknown', holder: null });
      assert.equal(before.body.freeswitch.ready, 0);
      // A registration before the lease is known: kept, not dropped.
      register(fake, '4001');

      child = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      const startedAt = Date.now();
      await waitFor(async () => (await health()).status === 200);
      const after = await health();
      const node = after.body.freeswitch.nodes[0];
      assert.equal(node?.ready, true);
      assert.equal(node?.lease?.state, 'held');
      assert.equal(typeof node?.lease?.holder, 'string');
      redis = new Redis(`redis://127.0.0.1:${redisPort}`);
      await waitFor(async () => (await listed(redis!, prefix)).includes('4001'));
      assert.equal(await redis.hexists(`${prefix}registrations`, '4001'), 1);
      assert.ok(Date.now() - startedAt < RENEW, 'written on the first lease attempt, not a renewal interval later');
      assert.equal(holderDigest(await redis.get(new Keys(prefix).nodeLease('fs1'))), node?.lease?.holder, '/health shows a digest of the holder token stored in Redis, never the token');
    } finally {
      await service.stop();
      redis?.disconnect();
      if (child !== undefined) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      await fake.close();
    }
  });
});

describe('no blind start: consumers on a running Redis', () => {
  let server: TestRedis;
  let redis: Redis;
  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    await waitFor(() => redis.status === 'ready');
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  const nodeFor = (fake: FakeFreeSwitch) =>
    createInboundClient({
      name: 'fs1', host: fake.host, port: fake.port, password: fake.password, eventFormat: 'plain',
      commandTimeoutMs: 2000, connectTimeoutMs: 2000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, logger,
    });

  test('a registration sent right after start is written (first attempt at once, well before the renew interval)', async () => {
    const fake = await FakeFreeSwitch.start();
    emptyShow(fake);
    const prefix = uniquePrefix('early');
    const config = validateConfig({ redis: { keyPrefix: prefix }, cluster: { leaseTtlMs: TTL, renewIntervalMs: RENEW }, gui: { registration: { list: 'reg-list' } } });
    const node = nodeFor(fake);
    const consumer = new NodeStateConsumer({ node, redis, keys: new Keys(prefix), config, logger });
    try {
      await waitFor(() => node.status.state === 'ready');
      const startedAt = Date.now();
      await consumer.start();
      await waitFor(() => subscribed(fake));
      register(fake, '4101');
      await waitFor(async () => (await listed(redis, prefix)).includes('4101'));
      assert.equal(await redis.hexists(`${prefix}registrations`, '4101'), 1);
      assert.ok(Date.now() - startedAt < RENEW);
      await consumer.idle();
      assert.equal(consumer.written, 1);
      assert.equal(consumer.lease.state, 'held');
    } finally {
      await consumer.stop();
      await node.close();
      await fake.close();
    }
  });

  test('kept events are bounded; another holder makes them dropped; the holder is known by its id', async () => {
    const fake = await FakeFreeSwitch.start();
    emptyShow(fake);
    const prefix = uniquePrefix('other');
    const config = validateConfig({ redis: { keyPrefix: prefix }, cluster: { leaseTtlMs: TTL, renewIntervalMs: RENEW } });
    const keys = new Keys(prefix);
    // A client that is not connected yet: the lease state stays unknown until it is.
    const lazy = new Redis(server.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const node = nodeFor(fake);
    const consumer = new NodeStateConsumer({ node, redis: lazy, keys, config, logger, pendingMax: 3 });
    try {
      await waitFor(() => node.status.state === 'ready');
      await consumer.start();
      await waitFor(() => subscribed(fake));
      assert.equal(consumer.lease.state, 'unknown');
      for (let i = 0; i < 5; i++) register(fake, `420${i}`);
      await waitFor(() => consumer.pendingCount === 3 && consumer.droppedPending === 2);
      // Another instance holds the lease: once Redis is ready we learn it and drop what we kept.
      await redis.set(keys.nodeLease('fs1'), 'instance-other', 'PX', TTL);
      await lazy.connect();
      await waitFor(() => consumer.lease.state === 'other');
      assert.equal(consumer.lease.holderId, 'instance-other');
      assert.equal(consumer.pendingCount, 0);
      register(fake, '4299');
      await consumer.idle();
      assert.equal(consumer.written, 0);
      assert.deepEqual(await listed(redis, prefix), [], 'the holder writes them, not us');
      assert.equal(await redis.hlen(`${prefix}registrations`), 0);
    } finally {
      await consumer.stop();
      lazy.disconnect();
      await node.close();
      await fake.close();
    }
  });
});
