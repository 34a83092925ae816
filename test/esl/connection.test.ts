/**
 * EslConnection (one socket, FIFO reply matching) against the fake FreeSWITCH over real
 * TCP: reply pairing under pipelining, timeouts and aborts, command/reply answers to
 * api, bgapi/execute settlement, and broken streams.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isFreectiError, type ErrorKey } from '../../src/errors.js';
import { EslConnection } from '../../src/esl/connection.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';

const logger = createLogger('silent');
let fake: FakeFreeSwitch;
const open: EslConnection[] = [];

async function connectRaw(options: { authenticate?: boolean; commandTimeoutMs?: number } = {}): Promise<EslConnection> {
  const socket = connect({ host: fake.host, port: fake.port });
  const connection = new EslConnection(socket, { commandTimeoutMs: options.commandTimeoutMs ?? 1000, logger });
  open.push(connection);
  await once(connection, 'auth-request');
  if (options.authenticate !== false) {
    assert.equal((await connection.command('auth ClueCon')).replyText, '+OK accepted');
    assert.equal((await connection.command('event plain BACKGROUND_JOB CHANNEL_EXECUTE_COMPLETE')).replyText, '+OK event listener enabled plain');
  }
  return connection;
}

const rejectsWith = async (promise: Promise<unknown>, key: ErrorKey): Promise<void> => {
  await assert.rejects(promise, (error: unknown) => isFreectiError(error, key) || assert.fail(`expected ${key}, got ${String(error)}`));
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  fake = await FakeFreeSwitch.start();
  fake.onApi('echo', (args) => `${args}\n`);
  fake.onApi('sleep', async (args) => {
    await sleep(Number(args));
    return `slept ${args}\n`;
  });
});
after(async () => {
  for (const connection of open) connection.destroy();
  await fake.close();
});

describe('reply pairing', () => {
  it('an api refused with command/reply (before auth) rejects, and the next reply pairs right', async () => {
    const connection = await connectRaw({ authenticate: false });
    await assert.rejects(connection.api('status'), (error: unknown) => isFreectiError(error, 'ESL_COMMAND_FAILED') && /-ERR command not found/.test((error as Error).message));
    assert.equal((await connection.command('auth ClueCon')).replyText, '+OK accepted');
    assert.equal(await connection.api('echo', 'after'), 'after\n');
  });

  it('pipelined commands each get their own reply', async () => {
    const connection = await connectRaw();
    const words = Array.from({ length: 30 }, (_, i) => `w${i}`);
    const replies = await Promise.all(words.map((w, i) => (i % 3 === 0 ? connection.api('sleep', String(i % 7)) : connection.api('echo', w))));
    replies.forEach((reply, i) => assert.equal(reply, i % 3 === 0 ? `slept ${i % 7}\n` : `w${i}\n`));
    assert.equal(connection.inFlight, 0);
  });

  it('a timed-out command keeps its place: its late reply is dropped, later replies are not shifted', async () => {
    const connection = await connectRaw();
    const slow = connection.api('sleep', '120', { timeoutMs: 30 });
    const next = connection.api('echo', 'next');
    await rejectsWith(slow, 'ESL_TIMEOUT');
    assert.equal(await next, 'next\n');
    assert.equal(await connection.api('echo', 'later'), 'later\n');
  });

  it('abort before sending sends nothing; abort while waiting keeps the FIFO right', async () => {
    const connection = await connectRaw();
    const count = fake.received.length;
    await rejectsWith(connection.api('echo', 'never', { signal: AbortSignal.abort() }), 'ESL_ABORTED');
    assert.equal(fake.received.length, count);
    const controller = new AbortController();
    const waiting = connection.api('sleep', '60', { signal: controller.signal });
    controller.abort();
    await rejectsWith(waiting, 'ESL_ABORTED');
    assert.equal(await connection.api('echo', 'paired'), 'paired\n');
  });

  it('overdue() reports a command waiting more than twice its timeout', async () => {
    const connection = await connectRaw();
    fake.onApi('forever', () => new Promise<string>(() => undefined));
    const before = Date.now();
    const stuck = connection.api('forever', '', { timeoutMs: 20 });
    await rejectsWith(stuck, 'ESL_TIMEOUT');
    // Explicit clocks: the command is at most 30 ms old at before+30, more than 40 ms old at now+50.
    assert.equal(connection.overdue(before + 30), false);
    assert.equal(connection.overdue(Date.now() + 50), true);
    assert.equal(connection.inFlight, 1, 'the timed-out command keeps its place');
    connection.destroy();
  });
});

describe('bgapi and execute', () => {
  it('bgapi resolves by Job-UUID from BACKGROUND_JOB; a job nobody waits for is harmless', async () => {
    const connection = await connectRaw();
    const ignored = await connection.bgapi('echo', 'ignored');
    const job = await connection.bgapi('sleep', '10');
    assert.equal(await job.wait(), 'slept 10\n');
    assert.match(ignored.jobUuid, /^[0-9a-f-]{36}$/);
  });

  it('job wait honours its own timeout and signal', async () => {
    const connection = await connectRaw();
    const job = await connection.bgapi('sleep', '200');
    await rejectsWith(job.wait({ timeoutMs: 10 }), 'ESL_TIMEOUT');
    await rejectsWith(job.wait({ signal: AbortSignal.abort() }), 'ESL_ABORTED');
    assert.equal(await job.wait(), 'slept 200\n');
  });

  it('execute rejects on -ERR invalid session id and resolves on our Application-UUID', async () => {
    const connection = await connectRaw();
    const uuid = fake.addChannel();
    await assert.rejects(connection.execute('00000000-0000-0000-0000-000000000000', 'answer'), /invalid session id \[00000000-0000-0000-0000-000000000000\]/);
    fake.onExecute('slow_app', () => ({ delayMs: 30, response: 'DONE' }));
    const [other, mine] = await Promise.all([connection.execute(uuid, 'slow_app'), connection.execute(uuid, 'playback', 'tone_stream://%(100,0,440)')]);
    assert.equal(other.get('Application-Response'), 'DONE');
    assert.equal(mine.get('Application-Response'), 'FILE PLAYED');
    assert.equal(mine.get('Application-Data'), 'tone_stream://%(100,0,440)');
    await rejectsWith(connection.execute(uuid, 'slow_app', '', { completionTimeoutMs: 5 }), 'ESL_TIMEOUT');
  });
});

describe('broken streams', () => {
  it('a connection cut mid-frame fails every pending command, job and execution promptly', async () => {
    const connection = await connectRaw();
    const uuid = fake.addChannel();
    fake.onExecute('long_app', () => ({ delayMs: 10_000 }));
    fake.onApi('forever', () => new Promise<string>(() => undefined));
    const job = await connection.bgapi('forever');
    const jobDone = job.wait();
    const execution = connection.execute(uuid, 'long_app');
    await fake.waitForCommand((c) => c.headers['execute-app-name'] === 'long_app');
    await sleep(20);
    fake.disconnectMidMessage();
    const a = connection.api('echo', 'cut');
    const b = connection.api('echo', 'behind');
    await Promise.all([a, b, jobDone, execution].map((p) => rejectsWith(p, 'ESL_DISCONNECTED')));
    await rejectsWith(connection.api('echo', 'after close'), 'ESL_DISCONNECTED');
    assert.equal(connection.isOpen, false);
  });

  it('garbage between frames is skipped; a throwing listener does not stop decoding', async () => {
    const connection = await connectRaw();
    connection.on('event', () => {
      throw new Error('listener bug');
    });
    fake.sendGarbage(Buffer.from([0, 1, 2, 255, 10, 10]));
    fake.emitEvent({ 'Event-Name': 'BACKGROUND_JOB', 'Job-UUID': 'nobody' }, 'x');
    fake.sendGarbage('Content-Type: text/event-json\nContent-Length: 5\n\n{oops');
    assert.equal(await connection.api('echo', 'alive'), 'alive\n');
  });
});
