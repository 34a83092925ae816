/**
 * Contract tests: the fake FreeSWITCH must not drift from the real one.
 *
 * 1. Every recorded esl-inbound transcript is replayed against the fake: the recorded
 *    client bytes are sent, and the fake's bytes must equal FreeSWITCH's frame by frame
 *    after the normalisation documented in contract-support.ts.
 * 2. The same client assertions run against the recorded bytes (RecordedPlayer) and
 *    against the fake, through the real inbound client / EslConnection.
 * 3. Every recorded event re-serialises byte-exactly (plain and json), so events the fake
 *    emits are laid out like FreeSWITCH's.
 * 4. esl-control: call-control sessions replayed against the fake, byte for byte or reply for
 *    reply (CONTROL_PLAN says which and why).
 * 5. esl-outbound: the fake's outbound mode dials a server playing the recorded client, frames
 *    compared as documented in contract-support.ts; and freecti's OutboundSession runs the same
 *    script with the same assertions against the recorded bytes and against the fake.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { isFreectiError } from '../../src/errors.js';
import { EslConnection } from '../../src/esl/connection.js';
import { EslDecoder } from '../../src/esl/decoder.js';
import type { EslEvent } from '../../src/esl/event.js';
import { createInboundClient, type InboundClient } from '../../src/esl/inbound-client.js';
import { createOutboundServer, type OutboundServer } from '../../src/esl/outbound-server.js';
import type { OutboundSession } from '../../src/esl/outbound-session.js';
import { createLogger } from '../../src/logger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { dial } from '../fake-freeswitch/outbound-dialer.js';
import { loadOutboundRecording } from '../fake-freeswitch/outbound-recording.js';
import { RecordedPlayer } from '../fake-freeswitch/recorded-player.js';
import { fsUrlEncode } from '../fake-freeswitch/fs-url-encode.js';
import { eventFrame } from '../fake-freeswitch/serialise.js';
import { bytesSent, listEsl, readEsl, readTimelineFrames, readTranscript } from '../helpers/fixtures.js';
import { checkInnerLength, driveOutbound, driveTranscript, isReply, normaliseFrames, normaliseTexts, projectFrame, splitFrames } from './contract-support.js';
import type { OutboundCall } from '../fake-freeswitch/index.js';

const logger = createLogger('silent');
const INBOUND = listEsl('esl-inbound').map((path) => path.replace(/^esl-inbound\//, '').replace(/\.esl$/, ''));

/** Channel the recording of `api-show-channels-json-one-call` had up. */
function addRecordedCall(fake: FakeFreeSwitch): void {
  fake.addChannel({
    uuid: '100f2420-9622-4e81-b569-bd11e29ee86c',
    destinationNumber: '9196',
    row: { application: 'echo', presence_id: '1000@127.0.0.1', accountcode: '1000', state: 'CS_EXECUTE' },
  });
}

describe('the fake answers every recorded inbound session like FreeSWITCH', () => {
  for (const stem of INBOUND) {
    it(stem, async () => {
      const fake = await FakeFreeSwitch.start();
      try {
        if (stem === 'api-show-channels-json-one-call') addRecordedCall(fake);
        const chunks = readTranscript(`esl-inbound/${stem}`);
        const session = await driveTranscript(chunks, fake.host, fake.port);
        const clientBytes = bytesSent(chunks, 'C>S').toString('utf8');
        const expected = normaliseFrames(splitFrames(bytesSent(chunks, 'S>C')), clientBytes);
        assert.deepEqual(normaliseFrames(splitFrames(session.received), clientBytes), expected);
        assert.equal(splitFrames(session.received).reduce((n, f) => n + f.length, 0), session.received.length, 'no partial frame');
      } finally {
        await fake.close();
      }
    });
  }
});

// ---- esl-control: call control on live channels ---------------------------------------

const CONTROL = listEsl('esl-control').map((path) => path.replace(/^esl-control\//, '').replace(/\.esl$/, ''));
const UUID_IN = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Declares the channels a recording's client commands name (the calls that were up), before the replay. */
function declareChannels(...uuids: string[]): (fake: FakeFreeSwitch) => void {
  return (fake) => {
    for (const uuid of uuids) fake.addChannel({ uuid });
  };
}

/**
 * How each esl-control recording is held against the fake. `bytes`: every frame, byte for
 * byte after normalisation (as esl-inbound). `replies`: the recorded client commands are sent
 * and the fake's replies (command/reply, api/response) must equal the recorded ones; the events
 * are left out (they come from SIP calls, conferences and queues the fake does not run), the
 * calls the client talked to are declared as channels first. `skip`: why the fake is not held
 * to it (a module whose state the fake does not model; tests script those replies with onApi).
 */
const CONTROL_PLAN: Record<string, { bytes: true } | { replies: (fake: FakeFreeSwitch) => void } | { skip: string }> = {
  'api-call-control-error-replies': { bytes: true },
  'click-to-call-bgapi-originate-bridge': { replies: () => undefined },
  'inbound-sendmsg-play-and-get-digits-playback-hangup': { replies: declareChannels('0c4e6a04-cd06-45d2-abab-7830c066f2a5') },
  'park-uuid-bridge-broadcast-hold-transfer-kill': { replies: declareChannels('8e89b498-4fd0-4f4b-8b9f-f7d9dc35c779', '84e7dbd4-e1b3-4bd9-a7a0-fd06892279b7') },
  'eavesdrop-whisper-uuid-audio-uuid-record': { replies: declareChannels('ebf7b3be-4124-4868-967b-12dfcaffa8e6', 'ee4a08e1-a4be-4390-9ea4-9f6c38868787') },
  // nway_threeway's commands: A = 1000's leg (the fake's default caller 1000), the third party's leg.
  'nway-threeway-three-way-originate': { replies: declareChannels('bd5af617-180f-43dd-a893-77ec549b1a5e', 'f8963fba-d08b-43be-b6f4-a3a4dbbefe71') },
  'conference-two-members-api-mute-play-kick-hup': { skip: 'mod_conference state (members, floor, kicks) is not modelled; the fake answers as a box with no conference (api-call-control-error-replies)' },
  'callcenter-queue-agent-answers': { skip: 'mod_callcenter state (agents, tiers, members) is not modelled; the fake answers as a box with no agent (api-call-control-error-replies)' },
  'api-registrations-two-users': { skip: 'registrations come from SIP REGISTERs the fake does not receive; tests script `show registrations` with onApi' },
  'registration-expire-sofia-events': { skip: 'only sofia:: events a registrar fires; tests replay them with fake.replay()' },
  'registration-new-call-id-same-contact': { skip: 'registrations come from SIP REGISTERs the fake does not receive; test/registrations/new-call-id-same-contact.test.ts replays it' },
  'registrations-resync-learned-unregister-and-expire': { skip: 'registrations come from SIP REGISTERs the fake does not receive; test/registrations/recorded-resync.test.ts replays it' },
};

describe('the fake answers the recorded call-control sessions like FreeSWITCH', () => {
  it('every esl-control recording is replayed or says why not', () => {
    assert.deepEqual(Object.keys(CONTROL_PLAN).sort(), [...CONTROL].sort());
  });
  for (const [stem, plan] of Object.entries(CONTROL_PLAN)) {
    if ('skip' in plan) continue;
    it(`${stem} (${'bytes' in plan ? 'every frame' : 'replies'})`, async () => {
      const fake = await FakeFreeSwitch.start();
      try {
        if ('replies' in plan) plan.replies(fake);
        const chunks = readTranscript(`esl-control/${stem}`);
        const counts = 'bytes' in plan ? () => true : isReply;
        const session = await driveTranscript(chunks, fake.host, fake.port, counts);
        const clientBytes = bytesSent(chunks, 'C>S').toString('utf8');
        const expected = normaliseFrames(splitFrames(bytesSent(chunks, 'S>C')).filter(counts), clientBytes);
        assert.ok(expected.length >= 3, 'the recording has replies');
        assert.deepEqual(normaliseFrames(splitFrames(session.received).filter(counts), clientBytes), expected);
        if ('replies' in plan) assert.ok((clientBytes.match(UUID_IN) ?? []).length > 0 || stem.startsWith('click'), 'commands on live channels');
      } finally {
        await fake.close();
      }
    });
  }
});

// ---- outbound mode: the fake dials, the recorded client drives it ---------------------

const OUTBOUND = listEsl('esl-outbound').map((path) => path.replace(/^esl-outbound\//, '').replace(/\.esl$/, ''));

describe('the fake answers every recorded outbound session like FreeSWITCH', () => {
  it('there are outbound recordings', () => assert.ok(OUTBOUND.length >= 3));
  for (const stem of OUTBOUND) {
    it(stem, async () => {
      const fake = await FakeFreeSwitch.start();
      try {
        // A playback that runs until the caller hangs up (when the recording has the caller hang up).
        fake.onExecute('playback', (ctx) => (/20000/.test(ctx.arg) ? { delayMs: 60_000 } : {}));
        const chunks = readTranscript(`esl-outbound/${stem}`);
        let call: OutboundCall | undefined;
        const session = await driveOutbound(
          chunks,
          (port) => {
            call = fake.dial(port);
          },
          () => void call?.hangup('NORMAL_CLEARING'),
        );
        const recorded = splitFrames(bytesSent(chunks, 'S>C'));
        const got = splitFrames(session.received);
        assert.equal(got.reduce((n, f) => n + f.length, 0), session.received.length, 'no partial frame');
        for (const frame of got) checkInnerLength(frame);
        assert.deepEqual(normaliseTexts(got.map(projectFrame), session.clientBytes), normaliseTexts(recorded.map(projectFrame), session.clientBytes));
        assert.equal(call?.hangupCause, 'NORMAL_CLEARING');
        assert.equal(fake.channel(call?.uuid ?? ''), undefined, 'the channel is gone');
      } finally {
        await fake.close();
      }
    });
  }
});

// ---- outbound: the same freecti session assertions against the recording and the fake ---

/** freecti's outbound server: the first session it accepts, claimed. */
async function outboundServer(): Promise<{ server: OutboundServer; port: number; session: Promise<OutboundSession> }> {
  const server = createOutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 5000, connectTimeoutMs: 5000, logger });
  const { port } = await server.listen();
  const session = new Promise<OutboundSession>((resolve) =>
    server.once('session', (s) => {
      s.claim('contract');
      resolve(s);
    }),
  );
  return { server, port, session };
}

/** The recordings' client script through freecti's OutboundSession, and what it saw. */
async function outboundScenario(stem: string, session: OutboundSession) {
  const events: EslEvent[] = [];
  session.on('event', (event) => events.push(event));
  await session.myevents(stem.endsWith('-json') ? 'json' : 'plain');
  await session.linger();
  const answer = await session.execute('answer');
  const tone = stem.includes('caller-hangs-up') ? 'tone_stream://%(20000,0,440)' : 'tone_stream://%(500,0,440)';
  const playback = await session.execute('playback', tone, { eventLock: true, eventUuid: '7f3c1d2e-8a4b-4c5d-9e6f-0a1b2c3d4e5f' });
  await session.hangup('NORMAL_CLEARING');
  const reason = await session.whenEnded();
  return {
    channel: [session.destinationNumber, session.callerNumber, session.channelName, session.direction, session.context, session.socketMode, session.control],
    answer: answer.get('Application-Response'),
    playback: [playback.get('Application-UUID'), playback.get('Application-Response')],
    events: events.map((e) => e.name),
    reason,
    notice: session.disconnectNotice?.['Content-Disposition'],
  };
}

describe('one set of freecti outbound-session assertions holds for the recording and for the fake', () => {
  for (const stem of OUTBOUND) {
    const recordedEvents = readTimelineFrames(`esl-outbound/${stem}.txt`).filter((f) => f.contentType.startsWith('text/event-')).map((f) => f.summary.split(' ', 1)[0] ?? '');
    const hangsUp = stem.includes('caller-hangs-up');
    const expected = {
      channel: ['7000', '1000', 'sofia/internal/1000@127.0.0.1', 'inbound', 'default', 'async', 'full'],
      answer: '_none_',
      playback: ['7f3c1d2e-8a4b-4c5d-9e6f-0a1b2c3d4e5f', hangsUp ? 'PLAYBACK ERROR' : 'FILE PLAYED'],
      events: recordedEvents,
      reason: 'disconnect-notice',
      notice: 'linger',
    };
    it(`${stem}: recorded bytes`, async () => {
      const { server, port, session } = await outboundServer();
      try {
        const call = dial(port, { mode: 'replay', steps: loadOutboundRecording(stem) });
        assert.deepEqual(await outboundScenario(stem, await session), expected);
        assert.equal((await call.result).mismatch, undefined);
      } finally {
        await server.close();
      }
    });
    it(`${stem}: fake`, async () => {
      const { server, port, session } = await outboundServer();
      const fake = await FakeFreeSwitch.start();
      try {
        // The recorded caller hung up while the 20 s tone played.
        fake.onExecute('playback', (ctx) => (/20000/.test(ctx.arg) ? { callerHangsUp: true } : {}));
        const call = fake.dial(port);
        assert.deepEqual(await outboundScenario(stem, await session), expected);
        assert.equal((await call.closed).closedBy, 'client');
      } finally {
        await server.close();
        await fake.close();
      }
    });
  }
});

// ---- the same client assertions against the recording and the fake -----------------

interface Target {
  host: string;
  port: number;
}

const clients: InboundClient[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

async function readyClient(target: Target, format: 'plain' | 'json' = 'plain', events: string[] = []): Promise<InboundClient> {
  const client = createInboundClient({
    name: 'contract',
    ...target,
    password: 'ClueCon',
    eventFormat: format,
    commandTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    logger,
  });
  clients.push(client);
  if (events.length > 0) await client.subscribe(events);
  await client.whenReady();
  return client;
}

const STATUS_TEXT = /^UP \d+ years, \d+ days, \d+ hours, \d+ minutes, \d+ seconds, \d+ milliseconds, \d+ microseconds\nFreeSWITCH \(Version [^)]+\) is ready\n\d+ session\(s\) since startup\n/;

/** The recorded api/response body of the n-th api call in a transcript. */
function recordedApiBody(stem: string, index: number): string {
  const bodies = EslDecoder.decodeAll(readEsl(`esl-inbound/${stem}`)).flatMap((m) => (m.kind === 'api-response' ? [m.body] : []));
  return bodies[index] ?? assert.fail(`${stem} has no api response #${index}`);
}

const scenarios: Record<string, (target: Target) => Promise<void>> = {
  'auth-success': async (target) => {
    const client = await readyClient(target);
    assert.equal(client.status.state, 'ready');
  },
  'auth-wrong-password': async (target) => {
    const client = createInboundClient({
      name: 'wrong',
      ...target,
      password: 'WrongPassword',
      eventFormat: 'plain',
      commandTimeoutMs: 2000,
      connectTimeoutMs: 2000,
      reconnect: { initialDelayMs: 1000, maxDelayMs: 1000 },
      logger,
    });
    clients.push(client);
    await new Promise<void>((resolve) => client.on('state', (s) => s === 'auth-failed' && resolve()));
    await assert.rejects(client.api('status'), (e: unknown) => isFreectiError(e, 'ESL_AUTH_FAILED'));
    await client.close();
  },
  'command-before-auth': async (target) => {
    const connection = new EslConnection(connect(target), { commandTimeoutMs: 2000, logger });
    await once(connection, 'auth-request');
    await assert.rejects(connection.api('status'), (e: unknown) => isFreectiError(e, 'ESL_COMMAND_FAILED') && /-ERR command not found/.test(String(e)));
    assert.equal((await connection.command('auth ClueCon')).replyText, '+OK accepted');
    connection.destroy();
  },
  'api-status': async (target) => {
    assert.match(await (await readyClient(target)).api('status'), STATUS_TEXT);
  },
  'api-sofia-status': async (target) => {
    assert.equal(await (await readyClient(target)).api('sofia', 'status'), recordedApiBody('api-sofia-status', 0));
  },
  'api-show-channels-json-no-calls': async (target) => {
    assert.equal(await (await readyClient(target)).api('show', 'channels as json'), '{"row_count": 0}\n');
  },
  'api-show-channels-json-one-call': async (target) => {
    const client = await readyClient(target);
    for (const what of ['channels', 'calls']) {
      const parsed = JSON.parse(await client.api('show', `${what} as json`)) as { row_count: number; rows: Record<string, string>[] };
      assert.equal(parsed.row_count, 1);
      assert.equal(parsed.rows[0]?.['uuid'], '100f2420-9622-4e81-b569-bd11e29ee86c');
      assert.equal(parsed.rows[0]?.['dest'], '9196');
    }
  },
  'api-nonexistent-command': async (target) => {
    const client = await readyClient(target);
    assert.equal(await client.api('nonexistent_command'), '-ERR nonexistent_command Command not found!\n');
    assert.equal((await client.command('nonexistent_esl_command')).replyText, '-ERR command not found');
  },
  'api-usage-and-error-replies': async (target) => {
    const client = await readyClient(target);
    const calls: [string, string][] = [
      ['originate', ''],
      ['uuid_kill', ''],
      ['uuid_kill', '00000000-0000-0000-0000-000000000000'],
      ['uuid_getvar', '00000000-0000-0000-0000-000000000000 foo'],
      ['sofia', 'status profile nosuchprofile'],
      ['show', 'nosuchthing'],
      ['reloadxml', ''],
      ['global_getvar', 'nosuchvar'],
    ];
    for (const [index, [command, args]] of calls.entries()) {
      assert.equal(await client.api(command, args), recordedApiBody('api-usage-and-error-replies', index), `${command} ${args}`);
    }
  },
  'api-originate-failures': async (target) => {
    const client = await readyClient(target);
    assert.equal(await client.api('originate', 'user/1015 &park()'), '-ERR USER_NOT_REGISTERED\n');
    assert.equal(await client.api('originate', 'nosuchendpoint/foo &park()'), '-ERR CHAN_NOT_IMPLEMENTED\n');
    assert.equal(await (await client.bgapi('originate', 'user/1015 &park()')).wait(), '-ERR USER_NOT_REGISTERED\n');
  },
  'bgapi-status-background-job-plain': async (target) => {
    assert.match(await (await (await readyClient(target)).bgapi('status')).wait(), STATUS_TEXT);
  },
  'bgapi-status-background-job-json': async (target) => {
    assert.match(await (await (await readyClient(target, 'json')).bgapi('status')).wait(), STATUS_TEXT);
  },
  'bgapi-client-supplied-job-uuid': async (target) => {
    const job = await (await readyClient(target)).bgapi('status', '', { jobUuid: '11111111-2222-3333-4444-555555555555' });
    assert.equal(job.jobUuid, '11111111-2222-3333-4444-555555555555');
    assert.match(await job.wait(), STATUS_TEXT);
  },
  'api-and-bgapi-while-subscribed-to-all': async (target) => {
    const client = await readyClient(target, 'plain', ['ALL']);
    const events: EslEvent[] = [];
    client.on('event', (e) => events.push(e));
    assert.match(await client.api('status'), STATUS_TEXT);
    assert.match(await (await client.bgapi('status')).wait(), STATUS_TEXT);
    assert.deepEqual(events.map((e) => e.name), ['API', 'API', 'BACKGROUND_JOB']);
    assert.equal(events[0]?.get('API-Command'), 'status');
  },
  exit: async (target) => {
    const client = await readyClient(target);
    const lost = new Promise<void>((resolve) => client.on('state', (s) => s === 'disconnected' && resolve()));
    assert.equal((await client.command('exit')).replyText, '+OK bye');
    await lost;
    await client.close();
  },
};

describe('one set of client assertions holds for the recording and for the fake', () => {
  it('covers every recorded inbound session', () => {
    assert.deepEqual(Object.keys(scenarios).sort(), [...INBOUND].sort());
  });
  for (const [stem, scenario] of Object.entries(scenarios)) {
    it(`${stem}: recorded bytes`, async () => {
      const player = await RecordedPlayer.start(`esl-inbound/${stem}`);
      try {
        await scenario(player);
        assert.deepEqual(player.mismatches, []);
      } finally {
        await player.close();
      }
    });
    it(`${stem}: fake`, async () => {
      const fake = await FakeFreeSwitch.start();
      try {
        if (stem === 'api-show-channels-json-one-call') addRecordedCall(fake);
        await scenario(fake);
      } finally {
        await fake.close();
      }
    });
  }
});

// ---- serialisers ---------------------------------------------------------------------

/** Frames whose inner header names are unique (a decoded event cannot repeat a name). */
function hasDuplicateNames(frame: Buffer, format: 'plain' | 'json'): boolean {
  const inner = frame.toString('utf8', frame.indexOf('\n\n') + 2);
  const names = format === 'plain'
    ? inner.slice(0, inner.indexOf('\n\n')).split('\n').map((line) => line.slice(0, line.indexOf(':')))
    : [...inner.matchAll(/[{,]"([^"]+)":/g)].map((m) => m[1]);
  return new Set(names).size !== names.length;
}

describe('event serialisers reproduce FreeSWITCH byte for byte', () => {
  for (const path of listEsl()) {
    it(path, () => {
      let checked = 0;
      let events = 0;
      for (const frame of splitFrames(readEsl(path))) {
        const [message] = EslDecoder.decodeAll(frame);
        if (message?.kind !== 'event') continue;
        events++;
        if (hasDuplicateNames(frame, message.format)) continue;
        const again = eventFrame(message.format, message.event.headers, message.event.body);
        assert.equal(again, frame.toString('utf8'), `${message.event.name} #${checked}`);
        checked++;
      }
      // Only events repeating a header name (FreeSWITCH does that, e.g. Hangup-Cause) are skipped.
      assert.ok(checked >= events * 0.9, `${checked} of ${events} events checked`);
    });
  }

  it('url-encodes like switch_url_encode (observation 3)', () => {
    assert.equal(fsUrlEncode('Sat, 21 Nov 2026 04:39:20 GMT'), 'Sat,%2021%20Nov%202026%2004%3A39%3A20%20GMT');
    assert.equal(fsUrlEncode("a/b(c)'*~-._!$"), "a/b(c)'*~-._!$");
    assert.equal(fsUrlEncode('1000@127.0.0.1 #+%\r\n'), '1000%40127.0.0.1%20%23%2B%25%0D%0A');
    assert.equal(fsUrlEncode('%41 kept, %4x not'), '%41%20kept,%20%254x%20not');
    assert.equal(fsUrlEncode('é'), '%C3%A9');
  });
});
