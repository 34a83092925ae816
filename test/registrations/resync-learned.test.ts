/**
 * Issue 9, item 3: a registration learned from `show registrations as json` (a reconcile
 * at start, after a lease takeover or after Redis came back empty) leaves the hash when
 * the device unregisters or expires, and a reconcile racing the unregister (FreeSWITCH
 * sends the event before its row is deleted) does not bring it back.
 * Based on the recordings esl-control/api-registrations-two-users (the listing) and
 * esl-control/registration-expire-sofia-events (unregister and expire of the same two
 * registrations), and esl-events/*-unregister (a device unregisters with a new Call-ID).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import { EslEvent } from '../../src/esl/event.js';
import { Keys } from '../../src/keys.js';
import { contactUri, registrationChange } from '../../src/registrations/registration-event.js';
import { RegistrationStore } from '../../src/registrations/registration-store.js';
import { readEsl } from '../helpers/fixtures.js';
import { uniquePrefix, useRedis } from '../helpers/redis.js';

const recording = EslDecoder.decodeAll(readEsl('esl-control/registration-expire-sofia-events'));
const events = recording.flatMap((m) => (m.kind === 'event' && m.event.subclass?.startsWith('sofia::') ? [m.event] : []));
const recorded = (subclass: string, user: string): EslEvent => {
  const e = events.find((ev) => ev.subclass === subclass && ev.get('username') === user);
  if (e === undefined) throw new Error(`${subclass} ${user} not recorded`);
  return e;
};
const apiBodies = (file: string) => EslDecoder.decodeAll(readEsl(file)).flatMap((m) => (m.kind === 'api-response' ? [m.body] : []));
/** 1004 and 1005 as FreeSWITCH listed them, with the Call-IDs and contacts the events carry. */
const TWO_USERS = apiBodies('esl-control/api-registrations-two-users')[0] ?? '';
const EMPTY = '{"row_count": 0}\n';
/** The recording's clock. */
const RECORDED_NOW = Math.floor(Number(recorded('sofia::register', '1004').get('Event-Date-Timestamp')) / 1000);

/** A copy of a recorded event with some headers changed. */
function variant(event: EslEvent, headers: Record<string, string>): EslEvent {
  return new EslEvent({ ...event.headers, ...headers }, event.body);
}

/** `show registrations as json` with one row per [user, call-id, url, network port]. */
function listing(rows: [string, string, string, string][]): string {
  return JSON.stringify({
    row_count: rows.length,
    rows: rows.map(([user, token, url, port]) => ({
      reg_user: user, realm: '127.0.0.1', token, url, expires: String(Math.floor(RECORDED_NOW / 1000) + 180),
      network_ip: '127.0.0.1', network_port: port, network_proto: 'udp', hostname: 'vm', metadata: '',
    })),
  });
}

describe('contactUri: the identity a listing URL and an event contact share', () => {
  test('display name, angle brackets, scheme, parameters and the sofia/<profile>/ prefix go; the host is lower-cased', () => {
    const uri = '1005@127.0.0.1:5405';
    for (const raw of [
      '"" <sip:1005@127.0.0.1:5405>',
      '<sip:1005@127.0.0.1:5405>',
      'sip:1005@127.0.0.1:5405',
      'sofia/internal/sip:1005@127.0.0.1:5405',
      'sofia/internal/sip:1005@127.0.0.1:5405;fs_nat=yes;fs_path=%3Csip%3A1005%40203.0.113.7%3A40123%3E',
      '"Desk <1005> sip:x@y" <sip:1005@127.0.0.1:5405;transport=udp;fs_nat=yes>',
      'Bob <SIP:1005@127.0.0.1:5405>;expires=3600',
      '  <sips:1005@127.0.0.1:5405?Subject=x>  ',
    ]) assert.equal(contactUri(raw), uri, raw);
    assert.equal(contactUri('<sip:Bob@Phone.Example:5060>'), 'Bob@phone.example:5060');
    assert.equal(contactUri(''), '');
    assert.equal(contactUri('*'), '*');
  });

  test('the recorded events and listing agree: same Call-ID, same contact URI, same network address', () => {
    const rows = (JSON.parse(TWO_USERS) as { rows: { reg_user: string; token: string; url: string; network_ip: string; network_port: string }[] }).rows;
    for (const row of rows) {
      for (const kind of ['sofia::register', row.reg_user === '1005' ? 'sofia::unregister' : 'sofia::expire']) {
        const change = registrationChange(recorded(kind, row.reg_user));
        assert.ok(change);
        assert.equal(change.callId, row.token, `${kind} ${row.reg_user} call-id`);
        assert.equal(change.contactUri, contactUri(row.url), `${kind} ${row.reg_user} contact`);
        assert.equal(change.network, `${row.network_ip}:${row.network_port}`, `${kind} ${row.reg_user} network`);
      }
    }
  });
});

describe('a registration learned from a reconcile', () => {
  const db = useRedis();

  function store(removedTtlMs?: number) {
    const prefix = uniquePrefix('resync');
    const config = validateConfig({ redis: { keyPrefix: prefix } });
    const keys = new Keys(prefix);
    const s = new RegistrationStore(db.redis, keys, config.gui.registration, removedTtlMs);
    const fields = async () => (await db.redis.hkeys(`${prefix}registrations`)).sort();
    return { prefix, keys, s, fields };
  }

  test('leaves the hash on the recorded unregister and on the recorded expire; the listing taken right after does not bring them back', async () => {
    const { keys, s, fields } = store();
    // freecti starts while 1004 and 1005 are registered: both are learned from the listing.
    assert.deepEqual(await s.reconcile('fs1', TWO_USERS, undefined, RECORDED_NOW), { removed: 0, added: 2, skipped: 0 });
    assert.deepEqual(await fields(), ['1004', '1005']);
    const unregister = await s.apply('fs1', recorded('sofia::unregister', '1005'), RECORDED_NOW);
    assert.equal(unregister?.removed, 1);
    assert.deepEqual(await fields(), ['1004']);
    // FreeSWITCH still lists 1005 (the event comes before the row is deleted).
    assert.deepEqual(await s.reconcile('fs1', TWO_USERS, undefined, RECORDED_NOW + 100), { removed: 0, added: 0, skipped: 1 });
    assert.deepEqual(await fields(), ['1004']);
    const expire = await s.apply('fs1', recorded('sofia::expire', '1004'), RECORDED_NOW + 200);
    assert.equal(expire?.removed, 1);
    assert.deepEqual(await fields(), []);
    assert.deepEqual(await s.reconcile('fs1', TWO_USERS, undefined, RECORDED_NOW + 300), { removed: 0, added: 0, skipped: 2 });
    assert.deepEqual(await fields(), []);
    assert.equal(await db.redis.scard(keys.registrationsOfNode('fs1')), 0);
    // FreeSWITCH then lists nothing (as recorded after the expire).
    assert.deepEqual(await s.reconcile('fs1', EMPTY, undefined, RECORDED_NOW + 400), { removed: 0, added: 0, skipped: 0 });
    assert.deepEqual(await fields(), []);
  });

  test('the issue\'s case: the device unregisters with a new Call-ID and its Contact header; the racing reconcile does not re-add it', async () => {
    const { s, fields } = store();
    const listed = listing([['1005', 'before-start@127.0.0.1', 'sofia/internal/sip:1005@127.0.0.1:5405', '5405']]);
    await s.reconcile('fs1', listed, undefined, RECORDED_NOW);
    assert.deepEqual(await fields(), ['1005']);
    const unregister = variant(recorded('sofia::unregister', '1005'), {
      'call-id': 'new-call-id-of-the-unregister@127.0.0.1', contact: '"" <sip:1005@127.0.0.1:5405>', 'network-port': '5405',
    });
    assert.equal((await s.apply('fs1', unregister, RECORDED_NOW))?.removed, 1);
    assert.deepEqual(await fields(), []);
    // The listing FreeSWITCH gives right after still has the row, with the old Call-ID.
    assert.deepEqual(await s.reconcile('fs1', listed, undefined, RECORDED_NOW + 50), { removed: 0, added: 0, skipped: 1 });
    assert.deepEqual(await fields(), []);
  });

  test('behind NAT: FreeSWITCH\'s ;fs_nat parameters and a contact that only the network address matches', async () => {
    const { s, fields } = store();
    const listed = listing([
      ['1006', 'nat-a', 'sofia/internal/sip:1006@203.0.113.7:40123;fs_nat=yes;fs_path=%3Csip%3A1006%40203.0.113.7%3A40123%3E', '40123'],
      ['1007', 'nat-b', 'sofia/internal/sip:1007@203.0.113.8:5060;fs_nat=yes', '40999'],
    ]);
    await s.reconcile('fs1', listed, undefined, RECORDED_NOW);
    assert.deepEqual(await fields(), ['1006', '1007']);
    const base = recorded('sofia::unregister', '1005');
    // 1006: same URI, other parameters, other Call-ID.
    const by1006 = variant(base, {
      username: '1006', 'from-user': '1006', 'call-id': 'x1', contact: '"1006" <sip:1006@203.0.113.7:40123;transport=udp;fs_nat=yes>', 'network-ip': '203.0.113.7', 'network-port': '40123',
    });
    assert.equal((await s.apply('fs1', by1006, RECORDED_NOW))?.removed, 1);
    // 1007: the contact the phone sends (its private address) differs; the socket is the same.
    const by1007 = variant(base, {
      username: '1007', 'from-user': '1007', 'call-id': 'x2', contact: '<sip:1007@192.168.1.20:5060>', 'network-ip': '127.0.0.1', 'network-port': '40999',
    });
    assert.equal((await s.apply('fs1', by1007, RECORDED_NOW))?.removed, 1);
    assert.deepEqual(await fields(), []);
    // Both rows still listed: 1006 is skipped by its URI, 1007 by its listed Call-ID.
    assert.deepEqual(await s.reconcile('fs1', listed, undefined, RECORDED_NOW + 50), { removed: 0, added: 0, skipped: 2 });
    assert.deepEqual(await fields(), []);
  });

  test('an unregister that matched nothing is remembered too: the reconcile it triggers does not add the row', async () => {
    const { s, fields } = store();
    const unregister = variant(recorded('sofia::unregister', '1005'), { 'call-id': 'unknown-call-id' });
    assert.equal((await s.apply('fs1', unregister, RECORDED_NOW))?.removed, 0);
    assert.deepEqual(await s.reconcile('fs1', TWO_USERS, undefined, RECORDED_NOW + 10), { removed: 0, added: 1, skipped: 1 });
    assert.deepEqual(await fields(), ['1004']);
  });

  test('a new sofia::register forgets the removal at once; otherwise it is forgotten after the bound', async () => {
    const { s, fields } = store(1000);
    await s.reconcile('fs1', TWO_USERS, undefined, RECORDED_NOW);
    await s.apply('fs1', recorded('sofia::unregister', '1005'), RECORDED_NOW);
    await s.apply('fs1', recorded('sofia::expire', '1004'), RECORDED_NOW);
    // 1005 registers again (same Call-ID and contact): a reconcile keeps it.
    await s.apply('fs1', recorded('sofia::register', '1005'), RECORDED_NOW + 10);
    assert.deepEqual(await s.reconcile('fs1', TWO_USERS, undefined, RECORDED_NOW + 20), { removed: 0, added: 0, skipped: 1 });
    assert.deepEqual(await fields(), ['1005']);
    // After the bound, FreeSWITCH's listing is believed again (and the key has expired in Redis).
    assert.deepEqual(await s.reconcile('fs1', TWO_USERS, undefined, RECORDED_NOW + 1500), { removed: 0, added: 1, skipped: 0 });
    assert.deepEqual(await fields(), ['1004', '1005']);
  });

  test('the removals are remembered per node: another node\'s listing of the same device is not skipped', async () => {
    const { s, fields } = store();
    await s.reconcile('fs1', TWO_USERS, undefined, RECORDED_NOW);
    await s.apply('fs1', recorded('sofia::unregister', '1005'), RECORDED_NOW);
    assert.deepEqual(await s.reconcile('fs2', TWO_USERS, undefined, RECORDED_NOW + 10), { removed: 0, added: 2, skipped: 0 });
    assert.deepEqual(await fields(), ['1004', '1005']);
  });
});
