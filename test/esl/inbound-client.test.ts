/**
 * The inbound client against the fake FreeSWITCH over real TCP: handshake, commands,
 * subscriptions, reconnects, queueing, hung-peer detection and close. Short timeouts
 * and backoff keep it fast; no assertion depends on speed.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { isFreectiError } from '../../src/errors.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import type { EslEvent } from '../../src/esl/event.js';
import { createInboundClient, type InboundClient, type InboundClientOptions } from '../../src/esl/inbound-client.js';
import type { NodeState } from '../../src/esl/types.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { readEsl } from '../helpers/fixtures.js';

const logLines: string[] = [];
const logStream = new PassThrough();
logStream.on('data', (chunk: Buffer) => logLines.push(chunk.toString('utf8')));
const logger = createLogger('debug', logStream);

const clients: InboundClient[] = [];
function clientFor(fake: FakeFreeSwitch, overrides: Partial<InboundClientOptions> = {}): InboundClient {
  const client = createInboundClient({
    name: 'fs1',
    host: fake.host,
    port: fake.port,
    password: fake.password,
    eventFormat: 'plain',
    commandTimeoutMs: 1000,
    connectTimeoutMs: 1000,
    reconnect: { initialDelayMs: 5, maxDelayMs: 40 },
    logger,
    ...overrides,
  });
  clients.push(client);
  return client;
}

function nextEvent(client: InboundClient, test: (event: EslEvent) => boolean, timeoutMs = 2000): Promise<EslEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('event', listener);
      reject(new Error('no matching event'));
    }, timeoutMs);
    const listener = (event: EslEvent): void => {
      if (!test(event)) return;
      clearTimeout(timer);
      client.off('event', listener);
      resolve(event);
    };
    client.on('event', listener);
  });
}

function reachState(client: InboundClient, state: NodeState, timeoutMs = 2000): Promise<void> {
  if (client.status.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`state ${state} not reached (now ${client.status.state})`)), timeoutMs);
    const listener = (s: NodeState): void => {
      if (s !== state) return;
      clearTimeout(timer);
      client.off('state', listener);
      resolve();
    };
    client.on('state', listener);
  });
}

const rejectsWith = async (promise: Promise<unknown>, key: Parameters<typeof isFreectiError>[1]): Promise<void> => {
  await assert.rejects(promise, (error: unknown) => isFreectiError(error, key) || assert.fail(`expected ${String(key)}, got ${String(error)}`));
};

let fake: FakeFreeSwitch;
before(async () => {
  fake = await FakeFreeSwitch.start();
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await fake.close();
});

describe('handshake', () => {
  it('authenticates, subscribes the events bgapi/execute need, then is ready', async () => {
    const client = clientFor(fake);
    const states: NodeState[] = [];
    client.on('state', (s) => states.push(s));
    await client.whenReady();
    const mine = fake.received.filter((c) => c.connection === fake.acceptedCount).map((c) => c.line);
    assert.deepEqual(mine, ['auth ClueCon', 'event plain BACKGROUND_JOB CHANNEL_EXECUTE_COMPLETE']);
    assert.deepEqual(states, ['authenticating', 'ready']);
    assert.equal(client.status.state, 'ready');
    assert.equal(client.status.reconnects, 0);
    await client.close();
    assert.equal(client.status.state, 'closed');
  });

  it('wrong password: auth-failed, retried with backoff, commands fail fast, password never logged', async () => {
    const secret = 'Wr0ng-S3cret-pw';
    const client = clientFor(fake, { password: secret });
    await reachState(client, 'auth-failed');
    assert.match(client.status.lastError ?? '', /refused the event-socket password \(-ERR invalid\)/);
    await rejectsWith(client.api('status'), 'ESL_AUTH_FAILED');
    const before = fake.acceptedCount;
    await fake.waitForCommand((c) => c.connection > before && c.line.startsWith('auth'));
    await client.close();
    assert.ok(logLines.some((l) => l.includes('ESL authentication failed')));
    assert.ok(!logLines.some((l) => l.includes(secret)), 'the password must not appear in the log');
  });

  it('unreachable node: disconnected with the socket error, reconnect attempts counted', async () => {
    const spare = await FakeFreeSwitch.start();
    const port = spare.port;
    await spare.close();
    const client = clientFor(fake, { port });
    await reachState(client, 'disconnected');
    assert.match(client.status.lastError ?? '', /ECONNREFUSED/);
    const deadline = Date.now() + 2000;
    while (client.status.reconnects < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(client.status.reconnects >= 2);
    await client.close();
  });
});

describe('commands', () => {
  let client: InboundClient;
  before(async () => {
    client = clientFor(fake);
    await client.whenReady();
  });

  it('api returns the exact body, in-band errors included', async () => {
    assert.equal(await client.api('show', 'channels as json'), '{"row_count": 0}\n');
    assert.equal(await client.api('nonexistent_command'), '-ERR nonexistent_command Command not found!\n');
    assert.match(await client.api('status'), /^UP \d+ years, \d+ days, .* microseconds\nFreeSWITCH \(Version .*\) is ready\n/);
  });

  it('bgapi resolves with the BACKGROUND_JOB body, also with a client-chosen Job-UUID', async () => {
    fake.onApi('echo', (args) => `${args}\n`);
    const job = await client.bgapi('echo', 'hello world');
    assert.equal(await job.wait(), 'hello world\n');
    const chosen = await client.bgapi('echo', 'x', { jobUuid: '11111111-2222-3333-4444-555555555555' });
    assert.equal(chosen.jobUuid, '11111111-2222-3333-4444-555555555555');
    assert.equal(await chosen.wait(), 'x\n');
  });

  it('execute resolves with CHANNEL_EXECUTE_COMPLETE of our Event-UUID; unknown uuid rejects', async () => {
    const uuid = fake.addChannel();
    fake.onExecute('play_and_get_digits', () => ({ variables: { digits: '1234', read_result: 'success' } }));
    const done = await client.execute(uuid, 'play_and_get_digits', '1 4 1 5000 # tone_stream://%(200,0,600) silence_stream://250 digits \\d+', {
      eventUuid: 'a1a1a1a1-0000-4000-8000-000000000001',
    });
    assert.equal(done.get('Application-UUID'), 'a1a1a1a1-0000-4000-8000-000000000001');
    assert.equal(done.variable('digits'), '1234');
    assert.equal(done.get('Application-Response'), '_none_');
    await rejectsWith(client.execute('00000000-0000-0000-0000-000000000000', 'playback', 'x'), 'ESL_COMMAND_FAILED');
  });

  it('hangup ends the channel (CHANNEL_HANGUP_COMPLETE with the cause)', async () => {
    await client.subscribe(['CHANNEL_HANGUP_COMPLETE']);
    const uuid = fake.addChannel();
    const ended = nextEvent(client, (e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === uuid);
    await client.hangup(uuid, 'USER_BUSY');
    assert.equal((await ended).get('Hangup-Cause'), 'USER_BUSY');
    assert.equal(fake.channel(uuid), undefined);
  });

  it('refuses a command line with a line break before sending anything', async () => {
    const count = fake.received.length;
    await rejectsWith(client.api('status\nexit'), 'ESL_INVALID_COMMAND');
    await rejectsWith(client.command('event plain ALL', { 'x\ny': '1' }), 'ESL_INVALID_COMMAND');
    assert.equal(fake.received.length, count);
  });
});

describe('subscriptions', () => {
  it('subscribes names and CUSTOM subclasses; only those events arrive', async () => {
    const client = clientFor(fake);
    await client.whenReady();
    await client.subscribe(['CHANNEL_ANSWER', 'CUSTOM sofia::register', 'sofia::expire']);
    await fake.waitForCommand((c) => c.connection === fake.acceptedCount && c.line === 'event plain CHANNEL_ANSWER CUSTOM sofia::register sofia::expire');
    const names: string[] = [];
    client.on('event', (e) => names.push(e.subclass ?? e.name));
    fake.emitEvent({ 'Event-Name': 'CHANNEL_HANGUP', 'Unique-ID': 'u1' });
    fake.emitEvent({ 'Event-Subclass': 'sofia::unregister', 'Event-Name': 'CUSTOM' });
    fake.emitEvent({ 'Event-Subclass': 'sofia::register', 'Event-Name': 'CUSTOM', 'from-user': '1000' });
    fake.emitEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'u1' });
    await nextEvent(client, (e) => e.name === 'CHANNEL_ANSWER');
    assert.deepEqual(names, ['sofia::register', 'CHANNEL_ANSWER']);
    await rejectsWith(client.subscribe(['bad name']), 'ESL_INVALID_COMMAND');
    await client.close();
  });

  it('a subscription added while the handshake is sending its own is not lost', async () => {
    fake.slow(30);
    const client = clientFor(fake);
    await reachState(client, 'authenticating');
    await fake.waitForCommand((c) => c.connection === fake.acceptedCount && c.line.startsWith('event plain'));
    const added = client.subscribe(['CHANNEL_PARK']);
    await client.whenReady();
    await added;
    fake.slow(0);
    const parked = nextEvent(client, (e) => e.name === 'CHANNEL_PARK');
    fake.emitEvent({ 'Event-Name': 'CHANNEL_PARK', 'Unique-ID': 'u9' });
    assert.equal((await parked).uuid, 'u9');
    await client.close();
  });

  it('json format: events and bgapi jobs decode the same', async () => {
    const client = clientFor(fake, { eventFormat: 'json' });
    await client.subscribe(['CHANNEL_ANSWER']);
    await client.whenReady();
    const answered = nextEvent(client, (e) => e.name === 'CHANNEL_ANSWER');
    fake.emitEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'u2', variable_x: 'a b:c' });
    assert.equal((await answered).variable('x'), 'a b:c');
    const job = await client.bgapi('status');
    assert.match(await job.wait(), /^UP /);
    await client.close();
  });

  it('a recorded call replayed by the fake reaches a json listener intact', async () => {
    const path = 'esl-events/event-plain-all-call-rejected-486-busy';
    const recorded = EslDecoder.decodeAll(readEsl(path)).flatMap((m) => (m.kind === 'event' ? [m.event.toJSON()] : []));
    const client = clientFor(fake, { eventFormat: 'json' });
    await client.subscribe(['ALL']);
    await client.whenReady();
    const got: unknown[] = [];
    client.on('event', (e) => got.push(e.toJSON()));
    assert.equal(fake.replay(path), recorded.length);
    const deadline = Date.now() + 3000;
    while (got.length < recorded.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(got, recorded);
    await client.close();
  });

  it('filters keep bgapi working and only let matching events through', async () => {
    const client = clientFor(fake);
    await client.subscribe(['CHANNEL_ANSWER']);
    await client.whenReady();
    await client.addFilter('Unique-ID', 'wanted');
    const seen: string[] = [];
    client.on('event', (e) => {
      if (e.name === 'CHANNEL_ANSWER') seen.push(e.uuid ?? '');
    });
    fake.emitEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'other' });
    fake.emitEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'wanted' });
    await nextEvent(client, (e) => e.uuid === 'wanted');
    assert.deepEqual(seen, ['wanted']);
    assert.equal(await (await client.bgapi('echo', 'still works')).wait(), 'still works\n');
    await client.close();
  });
});

describe('failures and recovery', () => {
  const own = async (): Promise<FakeFreeSwitch> => {
    const f = await FakeFreeSwitch.start();
    fakes.push(f);
    return f;
  };
  const fakes: FakeFreeSwitch[] = [];
  after(async () => {
    await Promise.all(fakes.map((f) => f.close()));
  });

  it('survives a FreeSWITCH restart: in-flight fails, subscriptions and filters come back, events flow', async () => {
    const f = await own();
    const client = clientFor(f);
    await client.subscribe(['CHANNEL_ANSWER']);
    await client.addFilter('Unique-ID', 'u9');
    await client.whenReady();
    f.onApi('never', () => new Promise<string>(() => undefined));
    const job = await client.bgapi('never', '', { timeoutMs: 5000 });
    const jobDone = job.wait({ timeoutMs: 5000 });
    // (an api blocks its connection in FreeSWITCH: nothing after it is answered)
    const inFlight = client.api('never', '', { timeoutMs: 5000 });
    inFlight.catch(() => undefined);
    await f.waitForCommand('api never');
    const firstConnection = f.acceptedCount;
    await f.stop();
    await rejectsWith(inFlight, 'ESL_DISCONNECTED');
    await rejectsWith(jobDone, 'ESL_DISCONNECTED');
    await reachState(client, 'disconnected');
    await f.restart();
    await reachState(client, 'ready');
    const again = f.received.filter((c) => c.connection > firstConnection).map((c) => c.line);
    assert.deepEqual(again, [
      'auth ClueCon',
      'event plain BACKGROUND_JOB CHANNEL_EXECUTE_COMPLETE CHANNEL_ANSWER',
      'filter Event-Name BACKGROUND_JOB',
      'filter Event-Name CHANNEL_EXECUTE_COMPLETE',
      'filter Unique-ID u9',
    ]);
    const answered = nextEvent(client, (e) => e.name === 'CHANNEL_ANSWER');
    f.emitEvent({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'u9' });
    assert.equal((await answered).uuid, 'u9');
    assert.ok(client.status.reconnects >= 1);
    assert.equal(client.status.inFlight, 0);
    await client.close();
  });

  it('queues commands while disconnected and runs them, in order, after reconnecting', async () => {
    const f = await own();
    const client = clientFor(f);
    await client.whenReady();
    await f.stop();
    await reachState(client, 'disconnected');
    f.onApi('echo', (args) => `${args}\n`);
    const results = [client.api('echo', 'one', { timeoutMs: 3000 }), client.api('echo', 'two', { timeoutMs: 3000 })];
    const expired = client.api('echo', 'late', { timeoutMs: 20 });
    const controller = new AbortController();
    const aborted = client.api('echo', 'aborted', { signal: controller.signal, timeoutMs: 3000 });
    controller.abort();
    await rejectsWith(expired, 'ESL_TIMEOUT');
    await rejectsWith(aborted, 'ESL_ABORTED');
    await f.restart();
    assert.deepEqual(await Promise.all(results), ['one\n', 'two\n']);
    const lines = f.received.map((c) => c.line);
    assert.ok(!lines.includes('api echo late') && !lines.includes('api echo aborted'));
    assert.ok(lines.indexOf('api echo one') < lines.indexOf('api echo two'));
    await client.close();
  });

  it('a FreeSWITCH that stops answering is dropped and reconnected', async () => {
    const f = await own();
    const client = clientFor(f, { commandTimeoutMs: 60 });
    await client.whenReady();
    const first = f.acceptedCount;
    f.hang();
    await rejectsWith(client.api('status'), 'ESL_TIMEOUT');
    await reachState(client, 'disconnected');
    assert.match(client.status.lastError ?? '', /stopped answering/);
    f.hang(false);
    await reachState(client, 'ready');
    assert.ok(f.acceptedCount > first);
    assert.match(await client.api('status'), /^UP /);
    await client.close();
  });

  it('an idle connection is probed; a silent peer is detected without any caller', async () => {
    const f = await own();
    const client = clientFor(f, { commandTimeoutMs: 80, heartbeatIntervalMs: 40 });
    await client.whenReady();
    await f.waitForCommand('api status');
    f.hang();
    await reachState(client, 'disconnected', 3000);
    assert.match(client.status.lastError ?? '', /heartbeat|stopped answering/);
    await client.close();
  });

  it('a frame cut in the middle, garbage and exit never hang a caller or crash', async () => {
    const f = await own();
    const client = clientFor(f);
    await client.whenReady();
    f.sendGarbage('this is not ESL\n\nContent-Length: zz\nContent-Type: text/event-plain\n\n');
    assert.match(await client.api('status'), /^UP /);
    f.disconnectMidMessage();
    await rejectsWith(client.api('status'), 'ESL_DISCONNECTED');
    await reachState(client, 'ready');
    assert.equal((await client.command('exit')).replyText, '+OK bye');
    await reachState(client, 'disconnected');
    await reachState(client, 'ready');
    assert.match(await client.api('status'), /^UP /);
    await client.close();
  });

  it('close() fails queued work with ESL_CLOSED and stops reconnecting (backoff on mock timers)', async (t) => {
    const f = await own();
    const client = clientFor(f);
    await client.whenReady();
    // The reconnect backoff scheduled when the connection drops is a mock timer: it can only
    // fire when the test moves the clock, so a timer close() left behind is caught for sure.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    await f.stop();
    await reachState(client, 'disconnected');
    const queued = client.api('status', '', { timeoutMs: 5000 });
    await client.close();
    await rejectsWith(queued, 'ESL_CLOSED');
    await rejectsWith(client.api('status'), 'ESL_CLOSED');
    const accepted = f.acceptedCount;
    await f.restart();
    t.mock.timers.tick(60_000); // far past every reconnect delay (max 40 ms)
    t.mock.timers.reset();
    // A connection of our own, opened after the tick: once the fake has accepted it, a
    // reconnect the client started during the tick would have been accepted before it.
    const probe = connect(f.port, f.host);
    probe.on('error', () => undefined);
    while (f.acceptedCount === accepted) await new Promise((r) => setImmediate(r));
    probe.destroy();
    assert.equal(f.acceptedCount, accepted + 1, 'only the probe connected');
    assert.equal(client.status.state, 'closed');
  });

  it('a connection that never becomes ready is abandoned after connectTimeoutMs', async () => {
    const f = await own();
    f.hang();
    const client = clientFor(f, { connectTimeoutMs: 200 });
    await reachState(client, 'disconnected');
    assert.match(client.status.lastError ?? '', /not ready within 200 ms/);
    f.hang(false);
    await reachState(client, 'ready', 5000);
    await client.close();
  });
});
