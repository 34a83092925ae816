/**
 * Issue 9, item 3, through the node state consumer and the fake FreeSWITCH: a
 * registration learned from `show registrations as json` at start (or by the instance
 * that takes over a node's lease) leaves the `registrations` hash on unregister and on
 * expiry, and no resync in between (FreeSWITCH sends the event before it deletes its row)
 * brings it back. The listing and the events are the recorded ones
 * (esl-control/api-registrations-two-users, esl-control/registration-expire-sofia-events).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { NodeStateConsumer } from '../../src/cluster/node-state-consumer.js';
import { validateConfig } from '../../src/config/load.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import { createInboundClient, type InboundClient } from '../../src/esl/inbound-client.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { readEsl } from '../helpers/fixtures.js';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';

const logger = createLogger('silent');
const TTL = 600;
const RENEW = 150;
const EVENTS = 'esl-control/registration-expire-sofia-events';
const TWO_USERS = EslDecoder.decodeAll(readEsl('esl-control/api-registrations-two-users')).flatMap((m) => (m.kind === 'api-response' ? [m.body] : []))[0] ?? '';
const ONLY_1004 = (() => {
  const parsed = JSON.parse(TWO_USERS) as { rows: { reg_user: string }[] };
  const rows = parsed.rows.filter((r) => r.reg_user === '1004');
  return JSON.stringify({ row_count: rows.length, rows });
})();
const EMPTY = '{"row_count": 0}\n';
const recorded = (subclass: string, user: string) => (e: { subclass: string | undefined; get(h: string): string | undefined }) => e.subclass === subclass && e.get('username') === user;

describe('registrations learned from a resync leave with the device', () => {
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

  async function setup(removedTtlMs: number) {
    const fake = await FakeFreeSwitch.start();
    const prefix = uniquePrefix('resync-node');
    const config = validateConfig({ redis: { keyPrefix: prefix }, cluster: { leaseTtlMs: TTL, renewIntervalMs: RENEW } });
    const state = { listing: TWO_USERS, listings: 0 };
    fake.onApi('show', (args) => {
      if (args !== 'registrations as json') return EMPTY;
      state.listings++;
      return state.listing;
    });
    const clients: InboundClient[] = [];
    const consumers: NodeStateConsumer[] = [];
    const consumer = async (token: string) => {
      const node = createInboundClient({
        name: 'fs1', host: fake.host, port: fake.port, password: fake.password, eventFormat: 'plain',
        commandTimeoutMs: 2000, connectTimeoutMs: 2000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, logger,
      });
      clients.push(node);
      await waitFor(() => node.status.state === 'ready', 8000);
      const c = new NodeStateConsumer({ node, redis, keys: new Keys(prefix), config, logger, leaseToken: token, removedTtlMs });
      consumers.push(c);
      await c.start();
      return { node, c };
    };
    const fields = async () => (await redis.hkeys(`${prefix}registrations`)).sort();
    const close = async () => {
      for (const c of consumers) await c.stop();
      for (const n of clients) await n.close();
      await fake.close();
    };
    return { fake, state, consumer, fields, close };
  }

  test('unregister (recorded, and with a new Call-ID), then resyncs while FreeSWITCH still lists the rows, then the settling resync', async () => {
    const { fake, state, consumer, fields, close } = await setup(800);
    try {
      const { c } = await consumer('instance-a');
      // Registered before freecti started: learned from the listing.
      await waitFor(async () => (await fields()).length === 2, 8000);
      await fake.waitForCommand(/^event .*sofia::unregister/);
      assert.equal(fake.replay(EVENTS, { filter: recorded('sofia::unregister', '1005') }), 1);
      await waitFor(async () => !(await fields()).includes('1005'), 8000);
      // A resync racing the delete (takeover, reconnect...): FreeSWITCH still lists 1005.
      await c.reconcile();
      await c.idle();
      assert.deepEqual(await fields(), ['1004']);
      // The case: 1004 unregisters with a new Call-ID (sipp's unregister scenario).
      fake.emitEvent({
        'Event-Subclass': 'sofia::unregister', 'Event-Name': 'CUSTOM', 'profile-name': 'internal', username: '1004', 'from-user': '1004', 'from-host': '127.0.0.1',
        contact: '"" <sip:1004@127.0.0.1:5074>', 'call-id': 'another-call-id@127.0.0.1', realm: '127.0.0.1', 'network-ip': '127.0.0.1', 'network-port': '5084',
        expires: '0', domain_name: '127.0.0.1',
      });
      await waitFor(async () => (await fields()).length === 0, 8000);
      const before = state.listings;
      await c.reconcile();
      await c.idle();
      assert.deepEqual(await fields(), []);
      assert.equal(state.listings, before + 1);
      // FreeSWITCH deletes its rows; the resync scheduled after the remembered time settles on it.
      state.listing = EMPTY;
      await waitFor(() => state.listings >= before + 2, 8000);
      await c.idle();
      assert.deepEqual(await fields(), []);
    } finally {
      await close();
    }
  });

  test('expiry (recorded sofia::expire) of a registration learned at start; a resync right after does not re-add it', async () => {
    const { fake, state, consumer, fields, close } = await setup(30_000);
    state.listing = ONLY_1004;
    try {
      const { c } = await consumer('instance-a');
      await waitFor(async () => (await fields()).includes('1004'), 8000);
      await fake.waitForCommand(/^event .*sofia::expire/);
      assert.equal(fake.replay(EVENTS, { filter: recorded('sofia::expire', '1004') }), 1);
      await waitFor(async () => (await fields()).length === 0, 8000);
      await c.reconcile();
      await c.idle();
      assert.deepEqual(await fields(), []);
    } finally {
      await close();
    }
  });

  test('the instance that takes over the lease right after an unregister does not bring the registration back', async () => {
    const { fake, consumer, fields, close } = await setup(30_000);
    try {
      const a = await consumer('instance-a');
      await waitFor(() => a.c.lease.isHolder, 8000);
      await waitFor(async () => (await fields()).length === 2, 8000);
      const b = await consumer('instance-b');
      await fake.waitForConnections(2);
      assert.equal(fake.replay(EVENTS, { filter: recorded('sofia::unregister', '1005') }), 1);
      await waitFor(async () => !(await fields()).includes('1005'), 8000);
      await a.c.idle();
      // A dies; B takes over and resyncs while FreeSWITCH still lists 1005.
      await a.c.stop({ release: false });
      await a.node.close();
      await waitFor(() => b.c.lease.isHolder, 8000);
      await b.c.idle();
      await b.c.reconcile();
      await b.c.idle();
      assert.deepEqual(await fields(), ['1004']);
    } finally {
      await close();
    }
  });
});
