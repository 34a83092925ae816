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
