/**
 * A registration learned from `show registrations as json` gets the shape of the
 * sofia::register event (issue 13 item 4), held to one recorded session: 1004 and 1005
 * REGISTERed (esl-control/registration-expire-sofia-events) and were listed on a second
 * connection at that time (esl-control/api-registrations-two-users). Every header the
 * synthesized JSON shares with the real event must carry the real event's value; every
 * header of the real event it lacks must be one the listing cannot give.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EslDecoder } from '../../src/esl/decoder.js';
import { EslEvent } from '../../src/esl/event.js';
import { contactUri, registrationChange } from '../../src/registrations/registration-event.js';
import { parseShowRegistrations, rowToEventJson } from '../../src/registrations/show-registrations.js';
import { readEsl } from '../helpers/fixtures.js';

const messages = (stem: string) => EslDecoder.decodeAll(readEsl(stem));
const LISTING = messages('esl-control/api-registrations-two-users').flatMap((m) => (m.kind === 'api-response' ? [m.body] : []))[0] ?? '';
const REGISTERS = messages('esl-control/registration-expire-sofia-events').flatMap((m) =>
  m.kind === 'event' && m.event.subclass === 'sofia::register' ? [m.event] : [],
);

/** Headers only the event has: its own metadata, the User-Agent, and the directory user's params and variables. */
const ABSENT = new Set([
  'Core-UUID', 'FreeSWITCH-Switchname', 'FreeSWITCH-IPv4', 'FreeSWITCH-IPv6', 'Event-Date-Local',
  'Event-Calling-File', 'Event-Calling-Function', 'Event-Calling-Line-Number', 'Event-Sequence',
  'presence-hosts', 'rpid', 'user-agent', 'sip_number_alias', 'number_alias',
  // the vanilla directory user's variables, copied into the event by sofia
  'record_stereo', 'default_gateway', 'default_areacode', 'transfer_fallback_extension', 'toll_allow', 'accountcode',
  'user_context', 'effective_caller_id_name', 'effective_caller_id_number', 'outbound_caller_id_name', 'outbound_caller_id_number', 'callgroup',
]);
/** Same fact, another rendering: the listing has no display name; the timestamp is the listing's second. */
const DIFFERENT_RENDERING = new Set(['contact', 'Event-Date-Timestamp']);
const FREECTI_ONLY = new Set(['expires-at', 'freecti-source']);

describe('a reconciled registration has the shape of the sofia::register event', () => {
  const rows = parseShowRegistrations(LISTING);

  test('the recording holds two listed users and their register events', () => {
    assert.deepEqual(rows.map((r) => r.reg_user), ['1004', '1005']);
    assert.deepEqual(REGISTERS.map((e) => e.get('username')), ['1004', '1005']);
  });

  for (const user of ['1004', '1005']) {
    test(`${user}: every header the listing can give equals the real event's, the rest is the documented absent set`, () => {
      const row = rows.find((r) => r.reg_user === user);
      const event = REGISTERS.find((e) => e.get('username') === user);
      assert.ok(row && event);
      const real = event.toJSON() as Record<string, string>;
      // As if the listing were taken at the moment of the REGISTER.
      const at = Math.floor(Number(real['Event-Date-Timestamp']) / 1000);
      const made = JSON.parse(rowToEventJson(row, 'fs1', at)) as Record<string, string>;
      for (const [name, value] of Object.entries(made)) {
        if (FREECTI_ONLY.has(name) || DIFFERENT_RENDERING.has(name)) continue;
        assert.equal(value, real[name], `${user}: ${name}`);
      }
      assert.equal(made['expires'], real['expires'], 'seconds left at the REGISTER = its Expires');
      assert.equal(contactUri(made['contact'] ?? ''), contactUri(real['contact'] ?? ''));
      assert.equal(made['Event-Date-Timestamp']?.slice(0, 10), real['Event-Date-Timestamp']?.slice(0, 10));
      const missing = Object.keys(real).filter((name) => !(name in made));
      assert.deepEqual(missing.filter((name) => !ABSENT.has(name)), [], 'only the documented headers are absent');
      // The synthesized value is read back as the same registration.
      const again = registrationChange(new EslEvent(made));
      assert.equal(again?.extension, user);
      assert.equal(again?.callId, row.token);
      assert.equal(again?.expiresAt, Number(row.expires) * 1000, 'expiry computed from the synthesized event = the listed deadline');
    });
  }

  test('behind NAT (fs_nat in the url) status stays absent; seconds left never go below 0', () => {
    const [row] = rows;
    assert.ok(row);
    const nat = { ...row, url: `${row.url};fs_nat=yes;fs_path=<sip:1004@10.0.0.9:5074>` };
    const made = JSON.parse(rowToEventJson(nat, 'fs1', Number(row.expires) * 1000 + 5_000)) as Record<string, string>;
    assert.equal(made['status'], undefined);
    assert.equal(made['expires'], '0');
    assert.equal(made['network-ip'], row.network_ip);
  });
});
