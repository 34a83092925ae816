/**
 * The fake FreeSWITCH's own switches and rules that the recordings do not cover
 * (other test files rely on them): slow, hang, drop, raw events, filters, noevents.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isFreectiError } from '../../src/errors.js';
import { EslConnection } from '../../src/esl/connection.js';
import type { EslEvent } from '../../src/esl/event.js';
import { createOutboundServer } from '../../src/esl/outbound-server.js';
import type { OutboundSession } from '../../src/esl/outbound-session.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from './index.js';

let fake: FakeFreeSwitch;
before(async () => {
  fake = await FakeFreeSwitch.start({ password: 'pw', hostname: 'box1' });
});
after(async () => {
  await fake.close();
});

async function session(events = 'event plain ALL'): Promise<{ connection: EslConnection; events: EslEvent[] }> {
  const connection = new EslConnection(connect({ host: fake.host, port: fake.port }), { commandTimeoutMs: 1000 });
  await once(connection, 'auth-request');
  assert.equal((await connection.command('auth pw')).replyText, '+OK accepted');
  const seen: EslEvent[] = [];
  connection.on('event', (e) => seen.push(e));
  if (events !== '') await connection.command(events);
  return { connection, events: seen };
}

/** Events are written before a later reply on the same connection: once it arrives, they have too. */
const barrier = async (connection: EslConnection): Promise<void> => {
  await connection.api('global_getvar', 'x');
};

describe('fake FreeSWITCH switches', () => {
  it('slow(ms) delays replies but keeps their order', async () => {
    const { connection } = await session('');
    fake.slow(40);
    try {
      await assert.rejects(connection.api('status', '', { timeoutMs: 5 }), (e: unknown) => isFreectiError(e, 'ESL_TIMEOUT'));
      assert.equal(await connection.api('global_getvar', 'x'), '-ERR no reply\n');
    } finally {
      fake.slow(0);
      connection.destroy();
    }
  });

  it('hang() answers nothing until hang(false); dropConnections() closes every client', async () => {
    const { connection } = await session('');
    fake.hang();
    await assert.rejects(connection.api('status', '', { timeoutMs: 30 }), (e: unknown) => isFreectiError(e, 'ESL_TIMEOUT'));
    fake.hang(false);
    assert.equal(await connection.api('reloadxml'), '+OK [Success]\n');
    await fake.waitForConnections(1);
    const closed = once(connection, 'close');
    fake.dropConnections();
    await closed;
  });

  it('emitEvent adds the core headers; emitRawEvent sends exactly what it is given', async () => {
    const { connection, events } = await session();
    fake.emitEvent({ 'Event-Subclass': 'sofia::register', 'Event-Name': 'CUSTOM', 'from-user': '1000' });
    fake.emitRawEvent({ 'Event-Name': 'HEARTBEAT', 'Up-Time': '0 years' });
    await barrier(connection);
    assert.deepEqual(Object.keys(events[0]?.headers ?? {}).slice(0, 4), ['Event-Subclass', 'Event-Name', 'Core-UUID', 'FreeSWITCH-Hostname']);
    assert.equal(events[0]?.get('FreeSWITCH-Hostname'), 'box1');
    assert.deepEqual({ ...events[1]?.headers }, { 'Event-Name': 'HEARTBEAT', 'Up-Time': '0 years' });
    connection.destroy();
  });

  it('follows mod_event_socket rules for CUSTOM, filters and noevents', async () => {
    const { connection, events } = await session('event json CHANNEL_ANSWER CUSTOM sofia::register');
    assert.equal((await connection.command('filter Unique-ID -u2')).replyText, '+OK filter added. [Unique-ID]=[-u2]');
    assert.equal((await connection.command('filter Event-Name /^CHANNEL_/')).replyText, '+OK filter added. [Event-Name]=[/^CHANNEL_/]');
    fake.emitEvent({ 'Event-Subclass': 'sofia::expire', 'Event-Name': 'CUSTOM' });
    fake.emitEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'u1' });
    fake.emitEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'u2' });
    fake.emitEvent({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': 'u1' });
    await barrier(connection);
    assert.deepEqual(events.map((e) => `${e.name}:${e.uuid ?? ''}`), ['CHANNEL_ANSWER:u1']);
    assert.equal((await connection.command('event json NOT-AN-EVENT')).replyText, '-ERR no keywords supplied');
    assert.equal((await connection.command('noevents')).replyText, '+OK no longer listening for events');
    fake.emitEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'u1' });
    await barrier(connection);
    assert.equal(events.length, 1);
    connection.destroy();
  });

  it('uuid_* api commands work on declared channels; exit works before auth', async () => {
    const { connection } = await session('');
    const uuid = fake.addChannel({ variables: { queue_name: 'support' } });
    assert.equal(await connection.api('uuid_exists', uuid), 'true');
    assert.equal(await connection.api('uuid_getvar', `${uuid} queue_name`), 'support');
    assert.equal(await connection.api('uuid_setvar', `${uuid} queue_name sales`), '+OK\n');
    assert.equal(await connection.api('uuid_getvar', `${uuid} nothing`), '_undef_');
    assert.equal(await connection.api('uuid_kill', uuid), '+OK\n');
    assert.equal(await connection.api('uuid_exists', uuid), 'false');
    connection.destroy();
    const raw = new EslConnection(connect({ host: fake.host, port: fake.port }), { commandTimeoutMs: 1000 });
    await once(raw, 'auth-request');
    const closed = once(raw, 'close');
    assert.equal((await raw.command('exit')).replyText, '+OK bye');
    await closed;
  });
});

describe('outbound mode: what the recordings do not show', () => {
  /** freecti's outbound server; resolves the first session it accepts, claimed. */
  async function outboundServer() {
    const server = createOutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 2000, connectTimeoutMs: 2000, logger: createLogger('silent') });
    const { port } = await server.listen();
    const next = (): Promise<OutboundSession> =>
      new Promise((resolve) =>
        server.once('session', (s) => {
          s.claim('fake-test');
          resolve(s);
        }),
      );
    return { server, port, next };
  }

  it('nolinger: after the hangup the disconnect notice (Content-Disposition: disconnect) and FreeSWITCH closes', async () => {
    const { server, port, next } = await outboundServer();
    try {
      const sessionP = next();
      const call = fake.dial(port);
      const session = await sessionP;
      await session.myevents();
      assert.equal((await session.command('nolinger')).replyText, '+OK will not linger');
      await session.hangup('USER_BUSY');
      assert.equal(await session.whenEnded(), 'disconnect-notice');
      assert.equal(session.disconnectNotice?.['Content-Disposition'], 'disconnect');
      assert.deepEqual(await call.closed, { closedBy: 'fake' });
      assert.equal(call.hangupCause, 'USER_BUSY');
    } finally {
      await server.close();
    }
  });

  it('resume: +OK as recorded (esl-acd), and the call remembers it', async () => {
    const { server, port, next } = await outboundServer();
    try {
      const sessionP = next();
      const call = fake.dial(port);
      const session = await sessionP;
      assert.equal(call.resumed, false);
      assert.equal((await session.command('resume')).replyText, '+OK');
      assert.equal(call.resumed, true);
      await session.hangup('NORMAL_CLEARING');
      await call.closed;
    } finally {
      await server.close();
    }
  });

  it('a failed bridge hangs the caller up before its completion unless continue_on_fail; set/unset change variables', async () => {
    const { server, port, next } = await outboundServer();
    try {
      for (const continueOnFail of [false, true]) {
        const sessionP = next();
        const call = fake.dial(port, { onExecute: ({ app, arg }) => (app === 'bridge' && arg.includes('gw-a') ? { fails: 'INVALID_GATEWAY' } : undefined) });
        const session = await sessionP;
        const events: EslEvent[] = [];
        session.on('event', (e) => events.push(e));
        await session.myevents();
        await session.linger();
        await session.execute('set', 'scratch=1');
        await session.execute('unset', 'scratch');
        if (continueOnFail) await session.execute('set', 'continue_on_fail=INVALID_GATEWAY,USER_BUSY');
        const failed = await session.execute('bridge', 'sofia/gateway/gw-a/1');
        assert.equal(failed.get('variable_originate_disposition'), 'INVALID_GATEWAY');
        assert.equal(failed.get('variable_scratch'), undefined);
        if (continueOnFail) {
          assert.equal(failed.get('Answer-State'), 'ringing', 'the caller is still up');
          const answered = await session.execute('bridge', 'sofia/gateway/gw-b/1');
          assert.equal(answered.get('variable_originate_disposition'), 'SUCCESS');
          await session.hangup('NORMAL_CLEARING');
        }
        await session.whenEnded();
        const names = events.map((e) => `${e.name}${e.get('Application') === undefined ? '' : ` ${e.get('Application')}`}`);
        const hangupAt = names.indexOf('CHANNEL_HANGUP');
        if (!continueOnFail) {
          assert.equal(call.hangupCause, 'INVALID_GATEWAY');
          assert.ok(hangupAt >= 0 && hangupAt < names.indexOf('CHANNEL_EXECUTE_COMPLETE bridge'), names.join(', '));
        } else assert.equal(call.hangupCause, 'NORMAL_CLEARING');
        assert.deepEqual(call.executed.map((e) => e.app), continueOnFail ? ['set', 'unset', 'set', 'bridge', 'bridge'] : ['set', 'unset', 'bridge']);
        await call.closed;
      }
    } finally {
      await server.close();
    }
  });

  it('uuid_kill and sendmsg from an inbound connection act on a dialed call like on its own socket; notice-first order', async () => {
    const { server, port, next } = await outboundServer();
    const { connection, events: inbound } = await session('event plain CHANNEL_HANGUP_COMPLETE');
    try {
      const sessionP = next();
      const call = fake.dial(port, { lingerOrder: 'notice-first' });
      const outbound = await sessionP;
      const frames: string[] = [];
      outbound.on('event', (e) => frames.push(`${outbound.disconnectNotice === undefined ? '' : 'after notice: '}${e.name}`));
      await outbound.myevents();
      await outbound.linger();
      const played = new Promise<void>((resolve) => outbound.on('event', (e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && e.get('Application') === 'playback' && resolve()));
      assert.equal((await connection.command(`sendmsg ${call.uuid}`, { 'call-command': 'execute', 'execute-app-name': 'playback', 'execute-app-arg': 'x.wav' })).replyText, '+OK');
      await played;
      assert.equal(await connection.api('uuid_kill', `${call.uuid} CALL_REJECTED`), '+OK\n');
      assert.equal(await outbound.whenEnded(), 'disconnect-notice');
      await call.closed;
      const hangupAt = frames.indexOf('CHANNEL_HANGUP');
      assert.ok(hangupAt >= 0, frames.join(', '));
      assert.deepEqual(
        frames.slice(hangupAt + 1),
        ['CHANNEL_UNPARK', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_STATE', 'CHANNEL_STATE', 'CHANNEL_HANGUP_COMPLETE'].map((name) => `after notice: ${name}`),
        'notice-first: the notice right after CHANNEL_HANGUP, the rest after it',
      );
      assert.equal(call.hangupCause, 'CALL_REJECTED');
      assert.equal(fake.channel(call.uuid), undefined);
      await barrier(connection);
      assert.deepEqual(inbound.map((e) => `${e.name} ${e.uuid ?? ''}`), [`CHANNEL_HANGUP_COMPLETE ${call.uuid}`], 'inbound listeners see the dialed channel');
    } finally {
      connection.destroy();
      await server.close();
    }
  });
});
