/**
 * Contract test of the issue 9 recordings (test/fixtures/freeswitch/README.md, "Issue 9 recordings"):
 * real FreeSWITCH 1.11.3-dev bytes, decoded with the project's decoder, and the facts they show.
 *
 * - esl-outbound-bridge/: outbound `socket` sessions running `bridge` like cti_bridge does. With
 *   `linger`, the `text/disconnect-notice` (Content-Disposition: linger) is sent as soon as the
 *   channel is down, and the rest of the channel's events (the bridge's CHANNEL_EXECUTE_COMPLETE,
 *   CHANNEL_HANGUP_COMPLETE...) may come AFTER it. FreeSWITCH never closes a `linger` (-1) socket by
 *   itself; when the client half-closes it sends a second notice (Content-Disposition: disconnect).
 * - a failed `bridge` (INVALID_GATEWAY) hangs the caller up unless `continue_on_fail` is set; with
 *   it, a second `bridge` on the same channel works (line-group failover).
 * - esl-control/registrations-resync-learned-unregister-and-expire: registrations listed by
 *   `show registrations as json` before any event about them, then their sofia::unregister and
 *   sofia::expire: the Call-ID (`token` / `call-id`) is what the three have in common.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EslDecoder } from '../../src/esl/decoder.js';
import type { EslEvent } from '../../src/esl/event.js';
import type { EslMessage } from '../../src/esl/messages.js';
import { parseShowJsonRows } from '../../src/esl/show-json.js';
import { bytesSent, readEsl, readTranscript } from '../helpers/fixtures.js';

const DIR = 'esl-outbound-bridge';
const AFTER = `${DIR}/bridge-user-answered-caller-hangs-up-events-after-linger-notice`;
const BEFORE = `${DIR}/bridge-user-answered-caller-hangs-up-events-before-linger-notice`;
const FILTERS = `${DIR}/cti-bridge-filters-three-lines-invalid-gateway-not-registered-answered`;
const FAILOVER = `${DIR}/bridge-invalid-gateway-continue-on-fail-then-user-1001-answers`;
const NO_FAILOVER = `${DIR}/bridge-invalid-gateway-without-continue-on-fail-hangs-up`;
const REGISTRATIONS = 'esl-control/registrations-resync-learned-unregister-and-expire';
const ALL = [AFTER, BEFORE, FILTERS, FAILOVER, NO_FAILOVER, REGISTRATIONS];
const OUTBOUND = [AFTER, BEFORE, FILTERS, FAILOVER, NO_FAILOVER];

/** Event-UUIDs the recorder sent with its sendmsg execute commands. */
const EXEC = (n: number): string => `9c1f0b2e-4d3a-4e5f-8a6b-7c8d9e0f100${n}`;

const decode = (stem: string): EslMessage[] => EslDecoder.decodeAll(readEsl(stem));

/** What one message is, for order assertions: `NOTICE:linger`, `A:CHANNEL_HANGUP`, `B:CHANNEL_EXECUTE_COMPLETE:bridge`, `reply:+OK`... */
function label(message: EslMessage, aUuid: string | undefined): string {
  switch (message.kind) {
    case 'event': {
      const e = message.event;
      const app = e.name.startsWith('CHANNEL_EXECUTE') ? `:${e.get('Application') ?? ''}` : '';
      return `${e.uuid === aUuid ? 'A' : 'B'}:${e.name}${app}`;
    }
    case 'disconnect-notice':
      return `NOTICE:${message.headers['Content-Disposition'] ?? ''}`;
    case 'command-reply':
      return `reply:${message.replyText}`;
    default:
      return message.kind;
  }
}

interface Outbound {
  messages: EslMessage[];
  aUuid: string;
  labels: string[];
  /** Index of the linger notice in `messages`. */
  notice: number;
  events: EslEvent[];
}

function outbound(stem: string): Outbound {
  const messages = decode(stem);
  const connect = messages[0];
  assert.ok(connect?.kind === 'command-reply' && connect.channelData !== undefined, 'the connect reply comes first');
  const aUuid = connect.channelData.uuid ?? '';
  const labels = messages.map((m) => label(m, aUuid));
  const notice = labels.indexOf('NOTICE:linger');
  assert.ok(notice > 0, 'a linger disconnect-notice');
  const events = messages.flatMap((m) => (m.kind === 'event' ? [m.event] : []));
  return { messages, aUuid, labels, notice, events };
}

function completeOf(o: Outbound, n: number): EslEvent {
  const found = o.events.filter((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && e.get('Application-UUID') === EXEC(n));
  assert.equal(found.length, 1, `one CHANNEL_EXECUTE_COMPLETE for ${EXEC(n)}`);
  return found[0] as EslEvent;
}

describe('issue 9 recordings decode cleanly', () => {
  for (const stem of ALL) {
    it(stem, () => {
      const bytes = readEsl(stem);
      const messages = EslDecoder.decodeAll(bytes);
      assert.ok(messages.length > 5);
      assert.deepEqual(messages.filter((m) => m.kind === 'garbage' || m.kind === 'unknown'), []);
      const decoder = new EslDecoder();
      decoder.push(bytes, () => {});
      assert.equal(decoder.bufferedBytes, 0, 'no partial frame at the end');
      // Byte by byte gives the same messages.
      const bytewise: EslMessage[] = [];
      const one = new EslDecoder();
      for (let i = 0; i < bytes.length; i++) one.push(bytes.subarray(i, i + 1), (m) => bytewise.push(m));
      assert.deepEqual(bytewise.map((m) => label(m, undefined)), messages.map((m) => label(m, undefined)));
      // The transcript's S>C part is the .esl file exactly.
      assert.ok(bytesSent(readTranscript(stem), 'S>C').equals(bytes), 'transcript S>C bytes = .esl');
    });
  }
});

describe('outbound bridge sessions: the linger notice and what follows it', () => {
  for (const stem of OUTBOUND) {
    it(`${stem}: FreeSWITCH does not close a linger socket; the client's close gets a second notice`, () => {
      const o = outbound(stem);
      assert.equal(o.messages[0]?.kind === 'command-reply' && o.messages[0].channelData?.variable('cti_dial'), 'user/1001');
      const linger = o.messages[o.notice];
      assert.ok(linger?.kind === 'disconnect-notice');
      assert.equal(linger.headers['Linger-Time'], '-1');
      assert.equal(linger.headers['Controlled-Session-UUID'], o.aUuid);
      assert.equal(linger.body, '');
      const last = o.messages.at(-1);
      assert.ok(last?.kind === 'disconnect-notice', 'the last frame is the notice sent when the client closed');
      assert.equal(last.headers['Content-Disposition'], 'disconnect');
      assert.equal(last.body, 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n');
      assert.equal(o.labels.filter((l) => l.startsWith('NOTICE:')).length, 2);
      // FreeSWITCH never sends CHANNEL_DESTROY on the lingering socket.
      assert.ok(!o.events.some((e) => e.name === 'CHANNEL_DESTROY'));
    });
  }

  it('answered bridge, caller hangs up: the bridge result and HANGUP_COMPLETE come AFTER the linger notice', () => {
    const o = outbound(AFTER);
    const before = o.labels.slice(0, o.notice);
    const after = o.labels.slice(o.notice + 1, -1);
    assert.equal(before.at(-1), 'A:CHANNEL_HANGUP', 'the notice follows CHANNEL_HANGUP at once');
    assert.ok(before.includes('A:CHANNEL_ANSWER') && before.includes('A:CHANNEL_BRIDGE'));
    assert.deepEqual(after, [
      'A:CHANNEL_UNBRIDGE',
      'A:CHANNEL_EXECUTE_COMPLETE:bridge',
      'A:CHANNEL_UNPARK',
      'A:CHANNEL_EXECUTE_COMPLETE:socket',
      'A:CHANNEL_STATE',
      'A:CHANNEL_STATE',
      'A:CHANNEL_HANGUP_COMPLETE',
    ]);
    const bridge = completeOf(o, 1);
    assert.ok(o.messages.indexOf(o.messages.find((m) => m.kind === 'event' && m.event === bridge) as EslMessage) > o.notice);
    assert.equal(bridge.variable('originate_disposition'), 'SUCCESS');
    assert.equal(bridge.variable('DIALSTATUS'), 'SUCCESS');
    const hangup = o.events.find((e) => e.name === 'CHANNEL_HANGUP');
    const complete = o.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE');
    assert.equal(hangup?.get('Hangup-Cause'), 'NORMAL_CLEARING');
    assert.equal(complete?.get('Hangup-Cause'), 'NORMAL_CLEARING');
    assert.equal(complete?.variable('sip_hangup_disposition'), 'recv_bye');
  });

  it('the same call in the usual order: everything before the notice', () => {
    const o = outbound(BEFORE);
    assert.equal(o.labels[o.notice - 1], 'A:CHANNEL_HANGUP_COMPLETE');
    assert.deepEqual(o.labels.slice(o.notice + 1), ['NOTICE:disconnect']);
    assert.equal(completeOf(o, 1).variable('originate_disposition'), 'SUCCESS');
    assert.equal(o.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE')?.get('Hangup-Cause'), 'NORMAL_CLEARING');
  });

  it("freecti's own subscription, three lines (INVALID_GATEWAY, USER_NOT_REGISTERED, answered): even CHANNEL_HANGUP came after the notice", () => {
    const o = outbound(FILTERS);
    assert.deepEqual(o.labels.slice(1, 6), [
      `reply:+OK filter added. [Unique-ID]=[${o.aUuid}]`,
      `reply:+OK filter added. [Other-Leg-Unique-ID]=[${o.aUuid}]`,
      'reply:+OK event listener enabled plain',
      'reply:+OK will linger',
      'reply:+OK',
    ]);
    // Lines 1 and 2 fail without a B leg and without hanging the caller up (continue_on_fail).
    const line1 = completeOf(o, 3);
    const line2 = completeOf(o, 5);
    const line3 = completeOf(o, 4);
    assert.equal(line1.variable('originate_disposition'), 'INVALID_GATEWAY');
    assert.equal(line2.get('Application-Data'), 'user/1015');
    assert.equal(line2.variable('originate_disposition'), 'USER_NOT_REGISTERED');
    assert.equal(line2.variable('DIALSTATUS'), 'USER_NOT_REGISTERED');
    for (const failed of [line1, line2]) {
      assert.equal(failed.get('Application-Response'), '_none_');
      assert.equal(failed.get('Answer-State'), 'ringing');
    }
    assert.equal(line3.get('Application-Data'), 'user/1001');
    assert.equal(line3.variable('originate_disposition'), 'SUCCESS');
    // Only line 3 created a B leg; its events carry Other-Leg-Unique-ID = A (the second filter).
    const bLegs = o.events.filter((e) => e.uuid !== o.aUuid);
    assert.ok(bLegs.length > 0);
    assert.equal(new Set(bLegs.map((e) => e.uuid)).size, 1);
    for (const e of bLegs) assert.equal(e.get('Other-Leg-Unique-ID'), o.aUuid);
    // The notice came right after the answer, before anything about the hangup.
    assert.equal(o.labels[o.notice - 1], 'A:CHANNEL_ANSWER');
    assert.deepEqual(o.labels.slice(o.notice + 1, -1), [
      'A:CHANNEL_HANGUP',
      'B:CHANNEL_HANGUP',
      'B:CHANNEL_HANGUP_COMPLETE',
      'A:CHANNEL_EXECUTE_COMPLETE:bridge',
      'A:CHANNEL_EXECUTE_COMPLETE:socket',
      'A:CHANNEL_HANGUP_COMPLETE',
    ]);
    assert.equal(o.events.filter((e) => e.name === 'CHANNEL_HANGUP').length, 2, 'one per leg; the failed lines hung nothing up');
    for (const e of o.events.filter((x) => x.name.startsWith('CHANNEL_HANGUP'))) assert.equal(e.get('Hangup-Cause'), 'NORMAL_CLEARING');
  });
});

describe('a failed bridge: continue_on_fail decides whether the channel survives', () => {
  it('with continue_on_fail=true (and hangup_after_bridge=false) the channel stays up and line 2 is bridged', () => {
    const o = outbound(FAILOVER);
    const first = completeOf(o, 3);
    assert.equal(first.get('Application'), 'bridge');
    assert.equal(first.get('Application-Data'), 'sofia/gateway/nonexistent/1');
    assert.equal(first.get('Application-Response'), '_none_');
    assert.equal(first.variable('originate_disposition'), 'INVALID_GATEWAY');
    assert.equal(first.variable('DIALSTATUS'), 'INVALID_GATEWAY');
    assert.equal(first.variable('originate_failed_cause'), 'INVALID_GATEWAY');
    assert.equal(first.variable('continue_on_fail'), 'true');
    assert.equal(first.variable('hangup_after_bridge'), 'false');
    assert.equal(first.get('Answer-State'), 'ringing');
    assert.equal(first.get('Hangup-Cause'), undefined);
    const at = (e: EslEvent): number => o.events.indexOf(e);
    const hangups = o.events.filter((e) => e.name === 'CHANNEL_HANGUP');
    assert.equal(hangups.length, 1, 'one CHANNEL_HANGUP: the caller, after line 2 answered');
    const second = completeOf(o, 4);
    const execute2 = o.events.find((e) => e.name === 'CHANNEL_EXECUTE' && e.get('Application-UUID') === EXEC(4));
    const answer = o.events.find((e) => e.name === 'CHANNEL_ANSWER');
    assert.ok(execute2 !== undefined && answer !== undefined);
    assert.ok(at(first) < at(execute2) && at(execute2) < at(answer) && at(answer) < at(hangups[0] as EslEvent));
    assert.equal(second.get('Application-Data'), 'user/1001');
    assert.equal(second.variable('originate_disposition'), 'SUCCESS');
    assert.equal(hangups[0]?.get('Hangup-Cause'), 'NORMAL_CLEARING');
    // In this run, too, the bridge result came after the linger notice.
    assert.deepEqual(o.labels.slice(o.notice - 1, o.notice + 3), ['A:CHANNEL_HANGUP', 'NOTICE:linger', 'A:CHANNEL_UNBRIDGE', 'A:CHANNEL_EXECUTE_COMPLETE:bridge']);
  });

  it('without continue_on_fail (hangup_after_bridge=false is not enough) the bridge app hangs the caller up (INVALID_GATEWAY) before it completes; a later bridge never runs', () => {
    const o = outbound(NO_FAILOVER);
    assert.deepEqual(o.labels.slice(1, 9), [
      'reply:+OK Events Enabled',
      'reply:+OK will linger',
      'reply:+OK',
      'A:CHANNEL_EXECUTE:set',
      'A:CHANNEL_EXECUTE_COMPLETE:set',
      'reply:+OK',
      'A:CHANNEL_EXECUTE:bridge',
      'A:CHANNEL_HANGUP',
    ]);
    assert.deepEqual(o.labels.slice(9, o.notice), [
      'A:CHANNEL_EXECUTE_COMPLETE:bridge',
      'A:CHANNEL_UNPARK',
      'A:CHANNEL_EXECUTE_COMPLETE:socket',
      'A:CHANNEL_STATE',
      'A:CHANNEL_STATE',
      'A:CHANNEL_HANGUP_COMPLETE',
    ]);
    const first = completeOf(o, 3);
    assert.equal(first.variable('hangup_after_bridge'), 'false');
    assert.equal(first.variable('continue_on_fail'), undefined);
    assert.equal(first.get('Application-Response'), '_none_');
    assert.equal(first.variable('originate_disposition'), 'INVALID_GATEWAY');
    assert.equal(first.get('Hangup-Cause'), 'INVALID_GATEWAY');
    assert.equal(o.events.find((e) => e.name === 'CHANNEL_HANGUP')?.get('Hangup-Cause'), 'INVALID_GATEWAY');
    assert.equal(o.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE')?.get('Hangup-Cause'), 'INVALID_GATEWAY');
    // The second sendmsg (line 2) is accepted with +OK after the notice, and nothing runs.
    assert.deepEqual(o.labels.slice(o.notice + 1), ['reply:+OK', 'NOTICE:disconnect']);
    assert.ok(!o.events.some((e) => e.get('Application-UUID') === EXEC(4)));
  });
});

describe('registrations a resync learned: show registrations vs sofia::unregister vs sofia::expire', () => {
  const messages = decode(REGISTRATIONS);
  const apis = messages.flatMap((m) => (m.kind === 'api-response' ? [m.body] : []));
  const rows = (body: string): Record<string, string>[] => parseShowJsonRows(body, 'show registrations') as Record<string, string>[];
  const customs = messages.flatMap((m) => (m.kind === 'event' ? [m.event] : []));
  const byToken = (body: string, token: string): Record<string, string> | undefined => rows(body).find((r) => r['token'] === token);

  it('the sequence: listing, unregister, listing (still there), listing (gone), expire, listing (gone at once)', () => {
    const order = messages.map((m) => (m.kind === 'event' ? m.event.subclass : m.kind));
    assert.deepEqual(order, [
      'auth-request',
      'command-reply',
      'command-reply',
      'api-response',
      'sofia::unregister',
      'api-response',
      'api-response',
      'sofia::expire',
      'api-response',
      'api-response',
      'disconnect-notice',
    ]);
    assert.equal(apis.length, 5);
    assert.ok(byToken(apis[0] ?? '', 'reg-1005@127.0.0.1') && byToken(apis[0] ?? '', 'reg-1006@127.0.0.1'), 'both listed before any event about them');
  });

  it('sofia::unregister: identified by call-id (= show registrations token); the row is still listed right after it', () => {
    const unregister = customs.find((e) => e.subclass === 'sofia::unregister');
    assert.ok(unregister !== undefined);
    const row = byToken(apis[0] ?? '', 'reg-1005@127.0.0.1');
    assert.ok(row !== undefined);
    assert.equal(unregister.get('call-id'), row['token']);
    assert.equal(unregister.get('profile-name'), 'internal');
    assert.equal(unregister.get('username'), row['reg_user']);
    assert.equal(unregister.get('from-user'), '1005');
    assert.equal(unregister.get('from-host'), row['realm']);
    assert.equal(unregister.get('realm'), row['realm']);
    assert.equal(unregister.get('network-ip'), row['network_ip']);
    assert.equal(unregister.get('network-port'), row['network_port']);
    assert.equal(unregister.get('expires'), '0');
    assert.equal(unregister.get('user'), undefined, 'no `user` header on unregister');
    // The contact is NOT in the listing's form: the Contact header value vs `sofia/<profile>/<uri>`.
    assert.equal(unregister.get('contact'), '"" <sip:1005@127.0.0.1:5405>');
    assert.equal(row['url'], 'sofia/internal/sip:1005@127.0.0.1:5405');
    assert.notEqual(unregister.get('contact'), row['url']);
    // Asked at once on the event: FreeSWITCH still lists the row; 1 s later it is gone.
    assert.ok(byToken(apis[1] ?? '', 'reg-1005@127.0.0.1') !== undefined, 'still listed right after sofia::unregister');
    assert.equal(byToken(apis[2] ?? '', 'reg-1005@127.0.0.1'), undefined, 'gone 1 s later');
  });

  it('sofia::expire: identified by call-id too; expires = the absolute epoch the listing had; the row is gone at once', () => {
    const expire = customs.find((e) => e.subclass === 'sofia::expire');
    assert.ok(expire !== undefined);
    const row = byToken(apis[0] ?? '', 'reg-1006@127.0.0.1');
    assert.ok(row !== undefined);
    assert.equal(expire.get('call-id'), row['token']);
    assert.equal(expire.get('profile-name'), 'internal');
    assert.equal(expire.get('user'), row['reg_user']);
    assert.equal(expire.get('username'), row['reg_user']);
    assert.equal(expire.get('host'), row['realm']);
    assert.equal(expire.get('from-user'), undefined, 'no `from-user` header on expire');
    assert.equal(expire.get('expires'), row['expires']);
    assert.equal(expire.get('network-port'), row['network_port']);
    assert.equal(expire.get('contact'), '"" <sip:1006@127.0.0.1:5406>');
    assert.equal(row['url'], 'sofia/internal/sip:1006@127.0.0.1:5406');
    assert.equal(expire.get('Event-Calling-Function'), 'sofia_reg_del_callback');
    assert.equal(byToken(apis[3] ?? '', 'reg-1006@127.0.0.1'), undefined, 'gone when asked at once');
    assert.equal(byToken(apis[4] ?? '', 'reg-1006@127.0.0.1'), undefined);
  });
});
