/**
 * Redis Cluster, for real: three masters on loopback, and freecti's client built by
 * createRedis from `redis.cluster`. The state scripts (registration add / remove /
 * reconcile, call update / reconcile, node lease renew / release with its copy beside the
 * calls) and the line-group scripts (acquire / release / renew, status) run on it with
 * recorded FreeSWITCH events and listings; every script is single-slot (Redis refuses
 * CROSSSLOT otherwise), and the keys of different line groups, and the registration
 * and call state, land on different masters. Slots computed by src/redis-slot.ts agree
 * with CLUSTER KEYSLOT.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CallStore } from '../../src/calls/call-store.js';
import { NodeLease } from '../../src/cluster/node-lease.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import type { EslEvent } from '../../src/esl/event.js';
import { keysFor } from '../../src/keys.js';
import { LineSlots } from '../../src/linegroups/line-slots.js';
import { linegroupSchema } from '../../src/linegroups/schema.js';
import { createLogger } from '../../src/logger.js';
import { assertClusterKeys, closeRedis, createRedis, type RedisClient } from '../../src/redis.js';
import { keySlot } from '../../src/redis-slot.js';
import { RegistrationStore } from '../../src/registrations/registration-store.js';
import { readEsl } from '../helpers/fixtures.js';
import { startCluster, type TestCluster } from '../helpers/redis-cluster.js';
import { until } from '../helpers/redis-processes.js';
import { uniquePrefix } from '../helpers/redis.js';

const logger = createLogger('silent');
const decoded = (file: string) => EslDecoder.decodeAll(readEsl(file));
const eventsOf = (file: string): EslEvent[] => decoded(file).flatMap((m) => (m.kind === 'event' ? [m.event] : []));
const apiBodies = (file: string): string[] => decoded(file).flatMap((m) => (m.kind === 'api-response' ? [m.body] : []));
const sofia = eventsOf('esl-control/registration-expire-sofia-events').filter((e) => e.subclass?.startsWith('sofia::'));
const sofiaEvent = (subclass: string, user: string): EslEvent => {
  const event = sofia.find((e) => e.subclass === subclass && e.get('username') === user);
  if (event === undefined) throw new Error(`${subclass} ${user} not recorded`);
  return event;
};
const TWO_USERS = apiBodies('esl-control/api-registrations-two-users')[0] ?? '';
const RECORDED_NOW = Math.floor(Number(sofiaEvent('sofia::register', '1004').get('Event-Date-Timestamp')) / 1000);

describe('Redis Cluster: state and line-group scripts on three masters', () => {
  let cluster: TestCluster;
  let redis: RedisClient;
  const configOf = (input: ConfigInput = {}) =>
    validateConfig({ ...input, redis: { cluster: [{ host: '127.0.0.1', port: cluster.masters[0]?.port ?? 0 }], ...input.redis } });

  before(async () => {
    cluster = await startCluster();
    redis = createRedis(configOf(), logger);
    await until('cluster client ready', async () => redis.status === 'ready');
  });
  after(async () => {
    if (redis !== undefined) await closeRedis(redis);
    await cluster?.stop();
  });

  test('slots: src/redis-slot.ts agrees with CLUSTER KEYSLOT; state follows its seed hash, line groups spread', async () => {
    const keys = keysFor(configOf({ redis: { keyPrefix: 'p:' } }));
    const names = [
      'registrations', 'calls', 'p:registrations', keys.registrationContacts('1000'), keys.nodeLease('fs1'), keys.nodeLeaseForCalls('fs1'),
      keys.callsOfNode('fs2'), keys.line('g1', 'l1').leases, keys.linegroupCursor('g2'), '{}x', 'a{}{b}', 'x{y', 'ü{ключ}1',
    ];
    for (const name of names) assert.equal(keySlot(name), await cluster.keySlot(name), name);
    // Registration state (every node) in the slot of the seed hash, call state in the slot of `calls`.
    for (const key of [keys.registrationContacts('1000'), keys.registrationsOfNode('fs1'), keys.registrationsOfNode('fs2'), keys.registrationsRemoved('fs1'), keys.nodeLease('fs1')]) {
      assert.equal(keySlot(key), keySlot(keys.named('registrations')), key);
    }
    for (const key of [keys.callsOfNode('fs1'), keys.callsOfNode('fs2'), keys.nodeLeaseForCalls('fs1')]) assert.equal(keySlot(key), keySlot(keys.named('calls')), key);
    // Different masters: the registration and call state of one deployment, and line groups.
    const owner = (key: string) => cluster.ownerOf(keySlot(key));
    const seeds = keysFor(configOf());
    assert.notEqual(await owner(seeds.named('registrations')), await owner(seeds.named('calls')), 'default seed names');
    const groups = ['g1', 'g2', 'g3', 'outbound', 'inbound', 'sales', 'trunk-a', 'trunk-b', 'eu', 'us'];
    const slots = new Set(groups.map((g) => keySlot(keys.line(g, 'l1').leases)));
    assert.equal(slots.size, groups.length, 'each line group in a slot of its own');
    const masters = new Set(await Promise.all(groups.map((g) => owner(keys.line(g, 'l1').leases))));
    assert.equal(masters.size, 3, 'the line groups spread over the three masters');
    for (const g of groups) {
      const k = keys.line(g, 'l1');
      for (const key of [k.state, k.cps, keys.linegroupPrefixCps(g, 'l1', '33'), keys.linegroupPrefixCps(g, '', '1'), keys.linegroupCursor(g)]) {
        assert.equal(keySlot(key), keySlot(k.leases), `${key}: one slot per group`);
      }
    }
  });

  test('registrations: lease (with its copy), add, remove, reconcile and fencing through the Cluster client', async () => {
    const config = configOf({ redis: { keyPrefix: uniquePrefix('creg') }, gui: { registration: { list: '{registrations}:log', listMax: 10 } } });
    assert.throws(() => assertClusterKeys(configOf({ gui: { registration: { list: 'reg-log' } } })), /must be in the Redis Cluster slot of 'registrations'/);
    assert.throws(() => createRedis(configOf({ gui: { call: { list: 'calls-log' } } }), logger), /gui\.call\.list/);
    const keys = keysFor(config);
    // The prefix is part of the hashed name: a list beside the prefixed hash needs the prefixed tag.
    assert.throws(() => assertClusterKeys(config), /registrations/);
    const listed = configOf({ redis: { keyPrefix: config.redis.keyPrefix }, gui: { registration: { list: `{${config.redis.keyPrefix}registrations}:log`, listMax: 10 } } });
    assertClusterKeys(listed);
    const store = new RegistrationStore(redis, keys, listed.gui.registration);

    const lease = new NodeLease({ redis, key: keys.nodeLease('fs1'), copies: keys.nodeLeaseCopies('fs1'), ttlMs: 10_000, renewIntervalMs: 3_000, logger });
    await lease.tick();
    assert.equal(lease.isHolder, true);
    assert.equal(await redis.get(keys.nodeLeaseForCalls('fs1')), lease.token, 'the copy beside the call state');
    const fence = { token: lease.token };

    await store.apply('fs1', sofiaEvent('sofia::register', '1004'), RECORDED_NOW, fence);
    await store.apply('fs1', sofiaEvent('sofia::register', '1005'), RECORDED_NOW, fence);
    const hash = keys.named('registrations');
    assert.deepEqual((await redis.hkeys(hash)).sort(), ['1004', '1005']);
    assert.equal((await store.liveContacts('1004', '127.0.0.1', RECORDED_NOW)).count, 1);
    const removed = await store.apply('fs1', sofiaEvent('sofia::unregister', '1005'), RECORDED_NOW, fence);
    assert.equal(removed?.removed, 1);
    assert.deepEqual(await redis.hkeys(hash), ['1004']);
    assert.equal(await redis.llen(keys.named(listed.gui.registration.list)), 3, 'the list beside the hash');
    await assert.rejects(() => store.apply('fs1', sofiaEvent('sofia::register', '1005'), RECORDED_NOW, { token: 'not-the-holder' }), /FREECTI_NOT_LEASE_HOLDER/);

    // Reconcile: the contacts hash of every field (listed, or held by the node) is in KEYS.
    await store.apply('fs1', Object.assign(Object.create(Object.getPrototypeOf(sofia[0]) as object) as EslEvent, sofiaEvent('sofia::register', '1004'), {
      headers: { ...sofiaEvent('sofia::register', '1004').headers, username: '1099', 'call-id': 'gone' },
    }), RECORDED_NOW, fence);
    const result = await store.reconcile('fs1', TWO_USERS, fence, RECORDED_NOW);
    assert.equal(result.removed, 1, '1099 is not listed any more');
    assert.equal(result.skipped, 1, '1005 unregistered a moment ago: skipped');
    assert.deepEqual((await redis.hkeys(hash)).sort(), ['1004']);
    assert.deepEqual(await redis.smembers(keys.registrationsOfNode('fs1')), [JSON.stringify(['1004', 'reg-1004@127.0.0.1'])]);

    await lease.stop({ release: true });
    assert.equal(await redis.exists(keys.nodeLease('fs1')), 0, 'lease released');
    assert.equal(await redis.exists(keys.nodeLeaseForCalls('fs1')), 0, 'copy released');
    await assert.rejects(() => store.reconcile('fs1', TWO_USERS, fence, RECORDED_NOW), /FREECTI_NOT_LEASE_HOLDER/);
  });

  test('calls: update and reconcile fenced by the lease copy in the slot of `calls`', async () => {
    const config = configOf({ redis: { keyPrefix: uniquePrefix('ccall') } });
    const keys = keysFor(config);
    const store = new CallStore(redis, keys, config.gui.call);
    const lease = new NodeLease({ redis, key: keys.nodeLease('fs1'), copies: keys.nodeLeaseCopies('fs1'), ttlMs: 10_000, renewIntervalMs: 3_000, logger });
    await lease.tick();
    const fence = { token: lease.token };
    const events = eventsOf('esl-events/event-plain-all-register-call-answered-caller-hangup-unregister');
    const applied: string[] = [];
    for (const event of events) {
      const change = await store.apply('fs1', event, fence);
      if (change !== undefined) applied.push(`${change.extension} ${change.notify}`);
    }
    assert.deepEqual(applied.filter((a) => a.startsWith('1000')), ['1000 callout', '1000 answer', '1000 hangup']);
    const records = await redis.hgetall(keys.named('calls'));
    assert.deepEqual(Object.keys(records).sort(), ['1000', '1001']);
    for (const raw of Object.values(records)) assert.deepEqual((JSON.parse(raw) as { activity: string[] }).activity, []);

    const oneCall = apiBodies('esl-inbound/api-show-channels-json-one-call')[0] ?? '';
    assert.deepEqual(await store.reconcile('fs1', oneCall, fence), { removed: 0, added: 1 });
    assert.equal(await redis.scard(keys.callsOfNode('fs1')), 1);
    const none = apiBodies('esl-inbound/api-show-channels-json-no-calls')[0] ?? '';
    assert.deepEqual(await store.reconcile('fs1', none, fence), { removed: 1, added: 0 });

    // The call scripts check the copy: another instance that took the lease over fences us out.
    await lease.stop({ release: false });
    await redis.set(keys.nodeLease('fs1'), 'other', 'PX', 10_000);
    await redis.set(keys.nodeLeaseForCalls('fs1'), 'other', 'PX', 10_000);
    await assert.rejects(() => store.reconcile('fs1', oneCall, fence), /FREECTI_NOT_LEASE_HOLDER/);
  });

  test('line groups: acquire, release (quarantine), renew and status per group, on their own masters', async () => {
    const keys = keysFor(configOf({ redis: { keyPrefix: uniquePrefix('clg') } }));
    const slots = new LineSlots(redis, keys);
    const group = linegroupSchema.parse({ lines: [{ id: 'l1', gateway: 'gw1', maxConcurrent: 2, cps: 100 }], prefixCps: { '33': 50 }, quarantine: { failures: 2, periodMs: 60_000 } });
    const line = group.lines[0];
    assert.ok(line);
    for (const name of ['g1', 'g2', 'us']) {
      const a = await slots.acquire(name, group, line, '33123', `${name}-a`);
      const b = await slots.acquire(name, group, line, '33123', `${name}-b`);
      const c = await slots.acquire(name, group, line, '33123', `${name}-c`);
      assert.equal(a.ok && b.ok, true, name);
      assert.deepEqual(c, { ok: false, reason: 'concurrency', value: 2 });
      const [status] = await slots.status(name, group.lines);
      assert.equal(status?.active, 2);
      const renewed = await slots.renew(name, 'l1', 30_000, [`${name}-a`, `${name}-gone`]);
      assert.deepEqual(renewed.lost, [`${name}-gone`]);
      assert.equal((await slots.release(name, group.quarantine, 'l1', `${name}-a`, 'fail')).failures, 1);
      const second = await slots.release(name, group.quarantine, 'l1', `${name}-b`, 'fail');
      assert.equal(second.failures, 2);
      assert.ok(second.quarantinedUntil !== undefined, 'quarantined after two failures in a row');
      assert.equal((await slots.release(name, group.quarantine, 'l1', `${name}-b`, 'fail')).released, false, 'a second release changes nothing');
      const refused = await slots.acquire(name, group, line, '33123', `${name}-d`);
      assert.equal(refused.ok, false);
      assert.equal(refused.ok ? '' : refused.reason, 'quarantined');
    }
    const owners = new Set(await Promise.all(['g1', 'g2', 'us'].map((g) => cluster.ownerOf(keySlot(keys.line(g, 'l1').leases)))));
    assert.equal(owners.size, 3, 'the groups were served by the three masters');
  });
});
