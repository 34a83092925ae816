/**
 * Redis Sentinel, for real: one master, one replica and three sentinels on loopback.
 * freecti's client (createRedis with redis.sentinels) carries the node state consumer's
 * writes of a FreeSWITCH node (the fake one: sofia::register / unregister and
 * CHANNEL_CREATE / ANSWER / HANGUP_COMPLETE events, `show registrations|channels as json`
 * answering what it holds) while SENTINEL FAILOVER moves the master. Afterwards Redis
 * holds exactly what FreeSWITCH reports: every registration once (seed hash, contacts,
 * node set), every live call once in its record; and the event lists carry no event
 * twice. The product's own handling makes this hold: a write the switch fails is not
 * repeated, the node is reconciled when Redis answers again and after the reconnect.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { NodeStateConsumer } from '../../src/cluster/node-state-consumer.js';
import { validateConfig } from '../../src/config/load.js';
import { createInboundClient } from '../../src/esl/inbound-client.js';
import { keysFor } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { closeRedis, createRedis, type RedisClient } from '../../src/redis.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { directClient, until } from '../helpers/redis-processes.js';
import { SENTINEL_MASTER_NAME, startSentinelSet, type SentinelSet } from '../helpers/redis-sentinel-set.js';

const logger = createLogger('silent');
const DOMAIN = '127.0.0.1';

describe('Redis Sentinel failover while node state is written', () => {
  let set: SentinelSet;
  before(async () => {
    set = await startSentinelSet();
  });
  after(async () => {
    await set.stop();
  });

  test('SENTINEL FAILOVER during registrations and calls: nothing lost, nothing written twice', async () => {
    const fake = await FakeFreeSwitch.start();
    const config = validateConfig({
      redis: { sentinels: set.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })), name: SENTINEL_MASTER_NAME, commandTimeoutMs: 1000 },
      gui: { registration: { list: 'reg-log', listMax: 100_000 }, call: { list: 'calls-log', listMax: 100_000 } },
      cluster: { leaseTtlMs: 10_000, renewIntervalMs: 1_000 },
    });
    const keys = keysFor(config);
    // What FreeSWITCH holds: user -> call-id, and the live channels (fake.addChannel).
    const registered = new Map<string, string>();
    fake.onApi('show', (args, ctx) => {
      if (args === 'channels as json') {
        const rows = [...ctx.channels.values()].map((c) => ({
          uuid: c.uuid, direction: 'inbound', created_epoch: '1700000000', name: c.name, state: 'CS_EXECUTE', cid_name: '', cid_num: c.variables.get('user_name') ?? '',
          dest: '9999', callstate: 'ACTIVE', callee_num: '', presence_id: `${c.variables.get('user_name') ?? ''}@${DOMAIN}`,
        }));
        return rows.length === 0 ? '{"row_count": 0}\n' : JSON.stringify({ row_count: rows.length, rows });
      }
      if (args !== 'registrations as json') return '-USAGE: show ...\n';
      const rows = [...registered].map(([user, callId]) => ({
        reg_user: user, realm: DOMAIN, token: callId, url: `sofia/internal/sip:${user}@127.0.0.1:5080`,
        expires: String(Math.floor(Date.now() / 1000) + 3600), network_ip: '127.0.0.1', network_port: '5080', network_proto: 'udp', hostname: 'fakefs', metadata: '',
      }));
      return rows.length === 0 ? '{"row_count": 0}\n' : JSON.stringify({ row_count: rows.length, rows });
    });
    const sofia = (subclass: 'sofia::register' | 'sofia::unregister', user: string): void => {
      const callId = `call-${user}`;
      if (subclass === 'sofia::register') registered.set(user, callId);
      else registered.delete(user);
      fake.emitEvent({
        'Event-Subclass': subclass, 'Event-Name': 'CUSTOM', 'profile-name': 'internal', 'from-user': user, 'from-host': DOMAIN,
        contact: `"" <sip:${user}@127.0.0.1:5080>`, 'call-id': callId, status: 'Registered(UDP)', expires: subclass === 'sofia::register' ? '3600' : '0',
        'network-ip': '127.0.0.1', 'network-port': '5080', username: user, realm: DOMAIN, 'user-agent': 'test', domain_name: DOMAIN,
      });
    };
    const channel = (event: 'CHANNEL_CREATE' | 'CHANNEL_ANSWER' | 'CHANNEL_HANGUP_COMPLETE', user: string, uuid: string): void => {
      if (event === 'CHANNEL_CREATE') fake.addChannel({ uuid, name: `sofia/internal/${user}@${DOMAIN}`, direction: 'inbound', variables: { user_name: user, domain_name: DOMAIN } });
      if (event === 'CHANNEL_HANGUP_COMPLETE') fake.removeChannel(uuid);
      fake.emitEvent({
        'Event-Name': event, 'Unique-ID': uuid, 'Call-Direction': 'inbound', 'Channel-Name': `sofia/internal/${user}@${DOMAIN}`,
        'Caller-Caller-ID-Number': user, 'Caller-Destination-Number': '9999', variable_user_name: user, variable_domain_name: DOMAIN,
      });
    };

    const redis: RedisClient = createRedis(config, logger);
    const node = createInboundClient({
      name: 'fs1', host: fake.host, port: fake.port, password: fake.password, eventFormat: 'plain',
      commandTimeoutMs: 5000, connectTimeoutMs: 5000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, logger,
    });
    const consumer = new NodeStateConsumer({ node, redis, keys, config, logger });
    let writing = true;
    const phases = { before: 0, during: 0, after: 0 };
    let phase: keyof typeof phases = 'before';
    try {
      await until('client ready', async () => redis.status === 'ready');
      await until('node connected', async () => node.status.state === 'ready');
      await consumer.start();
      await until('lease held and subscribed', async () => consumer.lease.isHolder && fake.received.some((c) => /^event .*sofia::register/.test(c.line)));
      await consumer.idle();

      // A writer: registrations and calls (created, answered, some hung up), one step
      // every 5 ms, until told to stop. Before the failover some users unregister again;
      // from then on every step registers a new user, so a lost write is not repaired by a
      // later event of the same user (nor by the reconcile an unmatched unregister starts).
      const live = new Map<string, string>(); // uuid -> user
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          const user = phase === 'before' ? `2${String(i % 50).padStart(3, '0')}` : `3${String(i).padStart(5, '0')}`;
          if (phase === 'before' && i % 7 === 3 && registered.has(user)) sofia('sofia::unregister', user);
          else sofia('sofia::register', user);
          if (i % 3 === 0) {
            const uuid = randomUUID();
            live.set(uuid, user);
            channel('CHANNEL_CREATE', user, uuid);
            channel('CHANNEL_ANSWER', user, uuid);
          }
          if (i % 5 === 0 && live.size > 10) {
            const [uuid, owner] = live.entries().next().value as [string, string];
            live.delete(uuid);
            channel('CHANNEL_HANGUP_COMPLETE', owner, uuid);
          }
          phases[phase]++;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();

      await until('writes before the failover', async () => phases.before >= 100);
      phase = 'during';
      const { from, to } = await set.failover();
      phase = 'after';
      await until('writes after the failover', async () => phases.after >= 100);
      writing = false;
      await writer;
      assert.notEqual(from, to);
      assert.equal(await set.masterPort(), to);

      // Once the client follows the new master and the consumer caught up, Redis holds
      // exactly what FreeSWITCH reports.
      const expectedCalls = (): Map<string, Set<string>> => {
        const byUser = new Map<string, Set<string>>();
        for (const [uuid, user] of live) byUser.set(user, (byUser.get(user) ?? new Set()).add(uuid));
        return byUser;
      };
      const direct = directClient(to);
      try {
        const hash = keys.named('registrations');
        await until('state settled on the new master', async () => {
          await consumer.idle();
          const fields = await direct.hkeys(hash);
          if (fields.length !== registered.size || fields.some((f) => !registered.has(f))) return false;
          const calls = await direct.hgetall(keys.named('calls'));
          for (const [user, uuids] of expectedCalls()) {
            const record = JSON.parse(calls[user] ?? '{"activity":[]}') as { activity: string[] };
            if (record.activity.length !== uuids.size || record.activity.some((u) => !uuids.has(u))) return false;
          }
          return true;
        }, 30_000);
        await consumer.idle();

        // Every registration exactly once: seed field, one contact, one node-set member.
        assert.deepEqual((await direct.hkeys(hash)).sort(), [...registered.keys()].sort());
        const members = await direct.smembers(keys.registrationsOfNode('fs1'));
        assert.deepEqual(members.map((m) => (JSON.parse(m) as [string, string])[0]).sort(), [...registered.keys()].sort());
        for (const [user, callId] of registered) {
          assert.deepEqual(Object.keys(await direct.hgetall(keys.registrationContacts(user))), [callId], `contacts of ${user}`);
        }
        // Every live call once in its extension's record, and in the node's set; no ended call is live.
        const calls = await direct.hgetall(keys.named('calls'));
        const expected = expectedCalls();
        for (const [user, raw] of Object.entries(calls)) {
          const record = JSON.parse(raw) as { activity: string[] };
          assert.deepEqual([...record.activity].sort(), [...(expected.get(user) ?? [])].sort(), `calls of ${user}`);
        }
        for (const user of expected.keys()) assert.ok(calls[user] !== undefined, `record of ${user}`);
        const callMembers = await direct.smembers(keys.callsOfNode('fs1'));
        assert.deepEqual(callMembers.map((m) => (JSON.parse(m) as [string, string])[1]).sort(), [...live.keys()].sort());

        // Nothing written twice: no event appears twice in the lists.
        const regLog = await direct.lrange(keys.named('reg-log'), 0, -1);
        assert.equal(new Set(regLog).size, regLog.length, 'a registration event pushed twice');
        const callLog = (await direct.lrange(keys.named('calls-log'), 0, -1)).map((m) => JSON.parse(m) as { current: string; notify: string });
        const changes = callLog.map((c) => `${c.current} ${c.notify}`);
        assert.equal(new Set(changes).size, changes.length, 'a call change pushed twice');
        assert.ok(regLog.length > 0 && callLog.length > 0);
      } finally {
        direct.disconnect();
      }
    } finally {
      writing = false;
      await consumer.stop();
      await node.close();
      await closeRedis(redis);
      await fake.close();
    }
  });
});
