import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import type { EslEvent } from '../../src/esl/event.js';
import { Keys } from '../../src/keys.js';
import { RegistrationStore } from '../../src/registrations/registration-store.js';
import { parseShowRegistrations } from '../../src/registrations/show-registrations.js';
import { readEsl } from '../helpers/fixtures.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';

const recording = EslDecoder.decodeAll(readEsl('esl-control/registration-expire-sofia-events'));
const events = recording.flatMap((m) => (m.kind === 'event' && m.event.subclass?.startsWith('sofia::') ? [m.event] : []));
const byKind = (subclass: string, user: string): EslEvent => {
  const e = events.find((ev) => ev.subclass === subclass && ev.get('username') === user);
  if (e === undefined) throw new Error(`${subclass} ${user} not recorded`);
  return e;
};
const apiBodies = (file: string) => EslDecoder.decodeAll(readEsl(file)).flatMap((m) => (m.kind === 'api-response' ? [m.body] : []));
const TWO_USERS = apiBodies('esl-control/api-registrations-two-users')[0] ?? '';
const EMPTY = apiBodies('esl-control/registration-expire-sofia-events').find((b) => b.startsWith('{"row_count"')) ?? '';
/** The recording's own clock: the register events happened at this time. */
const RECORDED_NOW = Math.floor(Number(byKind('sofia::register', '1004').get('Event-Date-Timestamp')) / 1000);

describe('registration state from sofia events', () => {
  const db = useRedis();

  function store(gui: NonNullable<ConfigInput['gui']>['registration'] = {}) {
    const prefix = uniquePrefix('reg');
    const config = validateConfig({ redis: { keyPrefix: prefix }, gui: { registration: gui } });
    return { prefix, s: new RegistrationStore(db.redis, new Keys(prefix), config.gui.registration) };
  }

  test('the recorded register / unregister / expire sequence: HSET the event JSON, HDEL at the end', async () => {
    const { prefix, s: withOutputs } = store({ channel: 'reg-events', list: 'reg-list', listMax: 3 });
    const sub = new Redis(db.server.url);
    const published: string[] = [];
    await sub.subscribe(`${prefix}reg-events`);
    sub.on('message', (_c, m) => published.push(m));
    await withOutputs.apply('fs1', byKind('sofia::register', '1004'), RECORDED_NOW);
    await withOutputs.apply('fs1', byKind('sofia::register', '1005'), RECORDED_NOW);
    const stored = JSON.parse((await db.redis.hget(`${prefix}registrations`, '1004')) ?? '{}') as Record<string, string>;
    assert.equal(stored['Event-Subclass'], 'sofia::register');
    assert.equal(stored['call-id'], 'reg-1004@127.0.0.1');
    assert.equal(stored['network-port'], '5084');
    await withOutputs.apply('fs1', byKind('sofia::unregister', '1005'), RECORDED_NOW);
    assert.equal(await db.redis.hexists(`${prefix}registrations`, '1005'), 0);
    assert.equal(await db.redis.hexists(`${prefix}registrations`, '1004'), 1);
    await withOutputs.apply('fs1', byKind('sofia::expire', '1004'), RECORDED_NOW);
    assert.equal(await db.redis.hlen(`${prefix}registrations`), 0);
    // Bounded list, newest first, and one PUBLISH per event.
    const list = await db.redis.lrange(`${prefix}reg-list`, 0, -1);
    assert.deepEqual(list.map((j) => (JSON.parse(j) as Record<string, string>)['Event-Subclass']), ['sofia::expire', 'sofia::unregister', 'sofia::register']);
    for (let i = 0; i < 50 && published.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(published.length, 4);
    sub.disconnect();
  });

  test('two devices on one extension: the field stays until the last one leaves', async () => {
    const { prefix, s } = store();
    const reg = byKind('sofia::register', '1005');
    const second = Object.assign(Object.create(Object.getPrototypeOf(reg) as object) as EslEvent, reg, { headers: { ...reg.headers, 'call-id': 'second-device', 'network-port': '6000' } });
    await s.apply('fs1', reg, RECORDED_NOW);
    await s.apply('fs1', second, RECORDED_NOW);
    assert.equal((await s.liveContacts('1005', '127.0.0.1', RECORDED_NOW)).count, 2);
    await s.apply('fs1', byKind('sofia::unregister', '1005'), RECORDED_NOW);
    const left = JSON.parse((await db.redis.hget(`${prefix}registrations`, '1005')) ?? '{}') as Record<string, string>;
    assert.equal(left['call-id'], 'second-device');
    assert.equal((await s.liveContacts('1005', '127.0.0.1', RECORDED_NOW)).count, 1);
    // A re-REGISTER of the same Call-ID does not add a device.
    await s.apply('fs1', second, RECORDED_NOW);
    assert.equal((await s.liveContacts('1005', '127.0.0.1', RECORDED_NOW)).count, 1);
  });

  test('a re-REGISTER with a new Call-ID from the same contact and address replaces that contact, as FreeSWITCH does', async () => {
    const { prefix, s } = store();
    const reg = byKind('sofia::register', '1005');
    const withHeaders = (headers: Record<string, string>): EslEvent =>
      Object.assign(Object.create(Object.getPrototypeOf(reg) as object) as EslEvent, reg, { headers: { ...reg.headers, ...headers } });
    const contacts = `${prefix}{${prefix}registrations}:freecti:reg:contacts:1005`;
    const nodeSet = `${prefix}{${prefix}registrations}:freecti:reg:node:fs1`;
    await s.apply('fs1', reg, RECORDED_NOW);
    // sipp (and a rebooted phone) registers again with a new Call-ID, same Contact, same source.
    for (let i = 0; i < 5; i++) await s.apply('fs1', withHeaders({ 'call-id': `reboot-${i}` }), RECORDED_NOW);
    assert.deepEqual(await db.redis.hkeys(contacts), ['reboot-4']);
    assert.deepEqual(await db.redis.smembers(nodeSet), [JSON.stringify(['1005', 'reboot-4'])]);
    assert.equal((await s.liveContacts('1005', '127.0.0.1', RECORDED_NOW)).count, 1);
    assert.equal(JSON.parse((await db.redis.hget(`${prefix}registrations`, '1005')) ?? '{}')['call-id'], 'reboot-4');
    // The same private Contact from another source address (two phones behind NAT) is another device.
    await s.apply('fs1', withHeaders({ 'call-id': 'behind-other-nat', 'network-ip': '192.0.2.77' }), RECORDED_NOW);
    // Another node's contact is that node's business.
    await s.apply('fs2', withHeaders({ 'call-id': 'on-fs2' }), RECORDED_NOW);
    assert.deepEqual((await db.redis.hkeys(contacts)).sort(), ['behind-other-nat', 'on-fs2', 'reboot-4']);
    assert.equal((await s.liveContacts('1005', '127.0.0.1', RECORDED_NOW)).count, 3);
  });

  test('field mode extension@domain keys by <ext>@<domain>', async () => {
    const { prefix, s } = store({ field: 'extension@domain' });
    await s.apply('fs1', byKind('sofia::register', '1004'), RECORDED_NOW);
    assert.deepEqual(await db.redis.hkeys(`${prefix}registrations`), ['1004@127.0.0.1']);
  });

  test('reconcile after a reconnect: stale entries go, missing ones come, other nodes untouched', async () => {
    const { prefix, s } = store();
    // fs1 knew 1005 (still there) and a device that vanished while we were away.
    await s.apply('fs1', byKind('sofia::register', '1005'), RECORDED_NOW);
    const stale = byKind('sofia::register', '1004');
    await s.apply('fs1', Object.assign(Object.create(Object.getPrototypeOf(stale) as object) as EslEvent, stale, { headers: { ...stale.headers, username: '1099', 'call-id': 'gone' } }), RECORDED_NOW);
    // fs2 holds 1007.
    await s.apply('fs2', Object.assign(Object.create(Object.getPrototypeOf(stale) as object) as EslEvent, stale, { headers: { ...stale.headers, username: '1007', 'call-id': 'other-node' } }), RECORDED_NOW);
    const result = await s.reconcile('fs1', TWO_USERS);
    assert.deepEqual(result, { removed: 1, added: 1, skipped: 0 });
    assert.deepEqual((await db.redis.hkeys(`${prefix}registrations`)).sort(), ['1004', '1005', '1007']);
    // 1005 keeps its original event JSON; 1004 comes from the listing.
    assert.equal((JSON.parse((await db.redis.hget(`${prefix}registrations`, '1005')) ?? '{}') as Record<string, string>)['Event-Calling-Function'], 'sofia_reg_handle_register_token');
    assert.equal((JSON.parse((await db.redis.hget(`${prefix}registrations`, '1004')) ?? '{}') as Record<string, string>)['call-id'], 'reg-1004@127.0.0.1');
    // The empty listing ({"row_count": 0}\n) clears fs1 only.
    assert.equal(EMPTY, '{"row_count": 0}\n');
    assert.deepEqual(await s.reconcile('fs1', EMPTY), { removed: 2, added: 0, skipped: 0 });
    assert.deepEqual(await db.redis.hkeys(`${prefix}registrations`), ['1007']);
  });

  test('a listing that is an error reply is refused, nothing changes', async () => {
    const { prefix, s } = store();
    await s.apply('fs1', byKind('sofia::register', '1005'), RECORDED_NOW);
    await assert.rejects(() => s.reconcile('fs1', '-ERR no reply\n'), /not JSON/);
    assert.equal(await db.redis.hlen(`${prefix}registrations`), 1);
    assert.throws(() => parseShowRegistrations('{"row_count":2,"rows":[]}'), /row_count 2/);
  });
  test('an unREGISTER with another Call-ID (recorded: 1000 registers with 1-30547, unregisters with 1-30552) removes the contact with the same contact URI', async () => {
    const { prefix, s } = store();
    const recorded = EslDecoder.decodeAll(readEsl('esl-events/event-plain-all-register-call-answered-caller-hangup-unregister'))
      .flatMap((m) => (m.kind === 'event' && m.event.get('username') === '1000' ? [m.event] : []));
    const register = recorded.find((e) => e.subclass === 'sofia::register');
    const unregister = recorded.find((e) => e.subclass === 'sofia::unregister');
    assert.ok(register && unregister);
    assert.notEqual(register.get('call-id'), unregister.get('call-id'));
    const now = Math.floor(Number(register.get('Event-Date-Timestamp')) / 1000);
    await s.apply('fs1', register, now);
    const applied = await s.apply('fs1', unregister, now);
    assert.equal(applied?.removed, 1);
    assert.equal(await db.redis.hexists(`${prefix}registrations`, '1000'), 0);
    // Nothing matches at all: removed 0 (the consumer then reconciles with FreeSWITCH).
    const again = await s.apply('fs1', unregister, now);
    assert.equal(again?.removed, 0);
  });
});
