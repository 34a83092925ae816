/**
 * The outbound ESL server against the fake FreeSWITCH dialer, over real TCP on loopback.
 * The dialer replays the recorded outbound sessions (test/fixtures/freeswitch/esl-outbound),
 * so the server is driven by the bytes the real FreeSWITCH sent.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { setImmediate as nextTick } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { isFreectiError } from '../../src/errors.js';
import type { EslEvent } from '../../src/esl/event.js';
import { createOutboundServer, type OutboundServerOptions } from '../../src/esl/outbound-server.js';
import type { OutboundSession } from '../../src/esl/outbound-session.js';
import { createLogger } from '../../src/logger.js';
import { dial } from '../fake-freeswitch/outbound-dialer.js';
import { loadOutboundRecording } from '../fake-freeswitch/outbound-recording.js';
import { readEsl, readTimelineFrames } from '../helpers/fixtures.js';

const PLAIN = 'outbound-socket-answer-playback-hangup';
const JSON_ = 'outbound-socket-answer-playback-hangup-json';
const HANGS_UP = 'outbound-socket-caller-hangs-up-during-playback';
const SHORT_TONE = 'tone_stream://%(500,0,440)';
const LONG_TONE = 'tone_stream://%(20000,0,440)';
const T = { timeout: 10_000 };

type LogLine = Record<string, unknown> & { msg?: string; level?: number };

async function startServer(overrides: Partial<OutboundServerOptions> = {}) {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.length > 0) lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  const server = createOutboundServer({
    host: '127.0.0.1',
    port: 0,
    commandTimeoutMs: 60_000, // far beyond the test timeout: a command failing fast proves it did not time out
    connectTimeoutMs: 5_000,
    logger: createLogger('debug', stream),
    ...overrides,
  });
  const { port } = await server.listen();
  const logged = (text: string): LogLine[] => lines.filter((l) => typeof l.msg === 'string' && l.msg.includes(text));
  return { server, port, lines, logged };
}

function nextSession(server: ReturnType<typeof createOutboundServer>): Promise<OutboundSession> {
  return new Promise((resolve) => {
    server.once('session', (session) => {
      session.claim('test');
      resolve(session);
    });
  });
}

/** Event names FreeSWITCH sent, in order, from the timeline transcript. */
function recordedEventNames(stem: string): string[] {
  return readTimelineFrames(`esl-outbound/${stem}.txt`)
    .filter((f) => f.contentType.startsWith('text/event-'))
    .map((f) => f.summary.split(' ', 1)[0] ?? '');
}

/** The channel uuid of a recording, read from its connect reply. */
function recordedChannelUuid(stem: string): string | undefined {
  return /^Unique-ID: (.*)$/m.exec(readEsl(`esl-outbound/${stem}`).toString('utf8'))?.[1];
}

/** The client script of the recordings: myevents, linger, answer, playback, hangup. */
async function runScript(session: OutboundSession, format: 'plain' | 'json', tone: string, playbackUuid?: string) {
  const events: EslEvent[] = [];
  let ends = 0;
  session.on('event', (event) => events.push(event));
  session.on('end', () => (ends += 1));
  await session.myevents(format);
  await session.linger();
  const answer = await session.execute('answer');
  const playback = await session.execute('playback', tone, playbackUuid === undefined ? { eventLock: true } : { eventLock: true, eventUuid: playbackUuid });
  await session.hangup('NORMAL_CLEARING');
  const reason = await session.whenEnded();
  await nextTick();
  return { events, answer, playback, reason, ends };
}

function isCode(key: 'ESL_DISCONNECTED'): (error: unknown) => boolean {
  return (error) => isFreectiError(error, key);
}

describe('outbound ESL server, driven by the recorded FreeSWITCH sessions', () => {
  test('plain: typed session from the connect reply, answer/playback/hangup, close after the linger notice', T, async () => {
    const { server, port } = await startServer();
    try {
      const steps = loadOutboundRecording(PLAIN);
      const sessionP = nextSession(server);
      const call = dial(port, { mode: 'replay', steps });
      const session = await sessionP;

      assert.equal(session.uuid, recordedChannelUuid(PLAIN));
      assert.equal(session.destinationNumber, '7000');
      assert.equal(session.callerNumber, '1000');
      assert.equal(session.direction, 'inbound');
      assert.equal(session.channelName, 'sofia/internal/1000@127.0.0.1'); // url-decoded
      assert.equal(session.context, 'default');
      assert.equal(session.socketMode, 'async');
      assert.equal(session.control, 'full');
      assert.equal(session.channelData.name, 'CHANNEL_DATA');
      assert.equal(session.variable('sip_to_user'), '7000');
      assert.equal(session.variable('current_application_data'), '127.0.0.1:8084 async full');
      assert.equal(server.activeSessions, 1);

      // A playback uuid of another length than the recorded one: the replayed frames only
      // parse if the dialer fixed every Content-Length.
      const run = await runScript(session, 'plain', SHORT_TONE, 'freecti-playback-1');
      assert.equal(run.answer.get('Application'), 'answer');
      assert.equal(run.answer.get('Application-Response'), '_none_');
      assert.equal(run.playback.get('Application-UUID'), 'freecti-playback-1');
      assert.equal(run.playback.get('Application-Response'), 'FILE PLAYED');
      assert.deepEqual(run.events.map((e) => e.name), recordedEventNames(PLAIN));
      assert.equal(run.reason, 'disconnect-notice');
      assert.equal(run.ends, 1);
      assert.equal(session.endedBy, 'disconnect-notice');
      assert.equal(session.disconnectNotice?.['Content-Disposition'], 'linger');

      // The fake, like FreeSWITCH with linger, never closes: freecti closed after the notice.
      const result = await call.result;
      assert.equal(result.mismatch, undefined);
      assert.equal(result.answered, steps.length);
      assert.equal(result.closedBy, 'client');
      assert.equal(result.substitutions.size, 2);
      assert.equal(server.activeSessions, 0);
    } finally {
      await server.close();
    }
  });

  test('json: same flow with myevents json, frames written 7 bytes at a time', T, async () => {
    const { server, port } = await startServer();
    try {
      const steps = loadOutboundRecording(JSON_);
      const sessionP = nextSession(server);
      const call = dial(port, { mode: 'replay', steps, chunkSize: 7 });
      const session = await sessionP;
      assert.equal(session.uuid, recordedChannelUuid(JSON_));
      const run = await runScript(session, 'json', SHORT_TONE);
      assert.equal(run.playback.get('Application-Response'), 'FILE PLAYED');
      assert.deepEqual(run.events.map((e) => e.name), recordedEventNames(JSON_));
      assert.equal(run.reason, 'disconnect-notice');
      const result = await call.result;
      assert.equal(result.mismatch, undefined);
      assert.equal(result.answered, steps.length);
      assert.deepEqual(result.received.slice(0, 2), ['connect', 'myevents json']);
      assert.equal(result.closedBy, 'client');
    } finally {
      await server.close();
    }
  });

  test('caller hangs up during playback: execute resolves with PLAYBACK ERROR, hangup is a no-op, we close', T, async () => {
    const { server, port } = await startServer();
    try {
      const steps = loadOutboundRecording(HANGS_UP);
      const sessionP = nextSession(server);
      const call = dial(port, { mode: 'replay', steps });
      const session = await sessionP;
      const run = await runScript(session, 'plain', LONG_TONE);
      assert.equal(run.playback.get('Application'), 'playback');
      assert.equal(run.playback.get('Application-Response'), 'PLAYBACK ERROR');
      const names = run.events.map((e) => e.name);
      assert.deepEqual(names, recordedEventNames(HANGS_UP));
      assert.ok(names.indexOf('CHANNEL_HANGUP') < names.lastIndexOf('CHANNEL_EXECUTE_COMPLETE'));
      assert.equal(run.reason, 'disconnect-notice');
      assert.equal(run.ends, 1);
      await assert.rejects(session.api('status'), isCode('ESL_DISCONNECTED'));

      const result = await call.result;
      assert.equal(result.mismatch, undefined);
      // The recorded client sent a hangup after the notice; freecti closed instead.
      assert.equal(result.answered, steps.length - 1);
      assert.equal(result.received.filter((c) => c.includes('call-command: hangup')).length, 0);
      assert.equal(result.closedBy, 'client');
    } finally {
      await server.close();
    }
  });

  test('a peer dying mid-frame fails pending commands with ESL_DISCONNECTED; the server stays up', T, async () => {
    const { server, port, logged } = await startServer();
    try {
      const steps = loadOutboundRecording(PLAIN);
      // step 4 = the playback sendmsg: cut inside its +OK reply, then inside the CHANNEL_EXECUTE after it.
      for (const bytes of [20, 45 + 1000]) {
        const sessionP = nextSession(server);
        const call = dial(port, { mode: 'replay', steps, cutAt: { step: 4, bytes } });
        const session = await sessionP;
        await session.myevents();
        await session.linger();
        await session.execute('answer');
        const playback = session.execute('playback', SHORT_TONE, { eventLock: true });
        const api = session.api('status');
        await assert.rejects(playback, isCode('ESL_DISCONNECTED'));
        await assert.rejects(api, isCode('ESL_DISCONNECTED'));
        assert.equal(await session.whenEnded(), 'peer-closed');
        assert.equal((await call.result).closedBy, 'dialer');
      }
      assert.equal(logged('socket closed without a disconnect-notice').length, 2);
      assert.equal(server.activeSessions, 0);

      const sessionP = nextSession(server);
      const call = dial(port, { mode: 'replay', steps });
      const run = await runScript(await sessionP, 'plain', SHORT_TONE);
      assert.equal(run.reason, 'disconnect-notice');
      assert.equal((await call.result).answered, steps.length);
    } finally {
      await server.close();
    }
  });

  test('garbage instead of the connect reply is logged and dropped; garbage mid-session is skipped', T, async () => {
    const { server, port, logged } = await startServer({ connectTimeoutMs: 300 });
    try {
      let sessions = 0;
      server.on('session', (s) => (sessions += Number(s.claim('test'))));
      const junk = Buffer.concat([Buffer.from([0, 255, 1, 2]), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n\nnot ESL\n\n')]);
      const first = await dial(port, { mode: 'garbage', bytes: junk }).result;
      assert.equal(first.closedBy, 'client');
      assert.ok(logged('unreadable bytes skipped').length >= 1);
      assert.equal(logged('outbound connection dropped: FREECTI_ERR_ESL_TIMEOUT').length, 1);

      // A well-formed +OK that carries no channel: not a FreeSWITCH outbound socket.
      const bare = Buffer.from('Content-Type: command/reply\nReply-Text: +OK\n\n');
      assert.equal((await dial(port, { mode: 'garbage', bytes: bare }).result).closedBy, 'client');
      assert.equal(logged('no channel data').length, 1);
      assert.equal(sessions, 0);
      assert.equal(server.pendingConnections, 0);

      const steps = loadOutboundRecording(PLAIN);
      const sessionP = nextSession(server);
      const call = dial(port, { mode: 'replay', steps, inject: { step: 3, bytes: junk } });
      const run = await runScript(await sessionP, 'plain', SHORT_TONE);
      assert.equal(run.playback.get('Application-Response'), 'FILE PLAYED');
      assert.deepEqual(run.events.map((e) => e.name), recordedEventNames(PLAIN));
      assert.equal((await call.result).answered, steps.length);
      assert.ok(logged('unreadable bytes skipped').some((l) => l['uuid'] === recordedChannelUuid(PLAIN)));
    } finally {
      await server.close();
    }
  });

  test('a connection that never answers connect is dropped after connectTimeoutMs', T, async () => {
    const { server, port, logged } = await startServer({ connectTimeoutMs: 300 });
    try {
      let sessions = 0;
      server.on('session', (s) => (sessions += Number(s.claim('test'))));
      const call = dial(port, { mode: 'silent' });
      await once(call.socket, 'connect');
      const result = await call.result;
      assert.deepEqual(result.received, ['connect']);
      assert.equal(result.closedBy, 'client');
      const [line] = logged('outbound connection dropped');
      assert.ok(line !== undefined && typeof line.msg === 'string' && line.msg.includes("no reply to 'connect'"));
      assert.equal(sessions, 0);
      assert.equal(server.pendingConnections, 0);
    } finally {
      await server.close();
    }
  });

  test('a session no feature claims is closed at once with a log line, never held open', T, async () => {
    const { server, port, logged } = await startServer();
    try {
      const seen: OutboundSession[] = [];
      server.on('session', (s) => seen.push(s)); // looks, does not claim
      const call = dial(port, { mode: 'replay', steps: loadOutboundRecording(PLAIN) });
      const result = await call.result;
      assert.deepEqual(result.received, ['connect']);
      assert.equal(result.closedBy, 'client');
      assert.equal(seen.length, 1);
      assert.equal(await seen[0]?.whenEnded(), 'closed');
      assert.equal(logged('no feature claimed it').length, 1);
      assert.equal(server.activeSessions, 0);
    } finally {
      await server.close();
    }
  });

  test('session.close() and server.close() end sessions and fail their pending commands', T, async () => {
    const { server, port } = await startServer();
    const steps = loadOutboundRecording(PLAIN);
    // hangAt 1: the fake answers connect, then never again (a hung FreeSWITCH).
    const sessionsP = new Promise<OutboundSession[]>((resolve) => {
      const got: OutboundSession[] = [];
      server.on('session', (s) => s.claim('test') && got.push(s) === 3 && resolve(got));
    });
    const calls = [0, 1, 2].map(() => dial(port, { mode: 'replay', steps, hangAt: 1 }));
    const [byApp, ...byServer] = await sessionsP;
    assert.ok(byApp !== undefined);
    assert.equal(server.activeSessions, 3);

    const pending = byApp.myevents();
    assert.equal(await byApp.close(), 'closed');
    await assert.rejects(pending, isCode('ESL_DISCONNECTED'));
    await assert.rejects(byApp.execute('answer'), isCode('ESL_DISCONNECTED'));

    const pendings = byServer.map((s) => assert.rejects(s.linger(), isCode('ESL_DISCONNECTED')));
    await server.close();
    await Promise.all(pendings);
    assert.deepEqual(await Promise.all(byServer.map((s) => s.whenEnded())), ['server-closed', 'server-closed']);
    assert.equal(server.activeSessions, 0);
    for (const call of calls) assert.equal((await call.result).closedBy, 'client');

    const refused = connect({ port, host: '127.0.0.1' });
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNREFUSED');
  });
});
