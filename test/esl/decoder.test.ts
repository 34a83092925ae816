/**
 * The ESL decoder against the real FreeSWITCH recordings (test/fixtures/freeswitch).
 *
 * Every .esl file is fed whole, one byte at a time and split in two chunks; all must give
 * the same messages. Then the decoded content is checked against what was recorded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EslDecoder } from '../../src/esl/decoder.js';
import { EslEvent } from '../../src/esl/event.js';
import type { EslMessage } from '../../src/esl/messages.js';
import {
  bytesSent,
  listEsl,
  readEsl,
  readTimelineFrames,
  readTranscript,
  transcriptLayout,
} from '../helpers/fixtures.js';

// ---- helpers ----

/** A plain, order-preserving form of decoded messages for deepEqual (header order matters). */
function normalise(value: unknown): unknown {
  if (value instanceof EslEvent) return { event: normalise(value.headers), body: value.body ?? null };
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => [k, normalise(v)]);
  }
  return value;
}

function sameHeaders(a: Record<string, string | string[]>, b: Record<string, string | string[]>): boolean {
  const keys = Object.keys(a);
  const otherKeys = Object.keys(b);
  if (keys.length !== otherKeys.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key !== otherKeys[i]) return false;
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length || x.some((v, k) => v !== y[k])) return false;
  }
  return true;
}

/** Asserts that two message lists are equal (fast for events; a readable diff when not). */
function assertSameMessages(actual: readonly EslMessage[], expected: readonly EslMessage[], message?: string): void {
  const same =
    actual.length === expected.length &&
    actual.every((a, i) => {
      const e = expected[i] as EslMessage;
      if (a.kind === 'event' && e.kind === 'event') {
        return a.format === e.format && a.event.body === e.event.body && sameHeaders(a.event.headers, e.event.headers);
      }
      return JSON.stringify(normalise(a)) === JSON.stringify(normalise(e));
    });
  if (!same) assert.deepEqual(normalise(actual), normalise(expected), message ?? 'messages differ');
}

function decodeChunks(chunks: readonly Buffer[]): { messages: EslMessage[]; buffered: number } {
  const decoder = new EslDecoder();
  const messages: EslMessage[] = [];
  for (const chunk of chunks) decoder.push(chunk, (m) => messages.push(m));
  return { messages, buffered: decoder.bufferedBytes };
}

function decodeBytewise(bytes: Buffer): EslMessage[] {
  const decoder = new EslDecoder();
  const messages: EslMessage[] = [];
  const emit = (m: EslMessage): void => {
    messages.push(m);
  };
  for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1), emit);
  assert.equal(decoder.bufferedBytes, 0);
  return messages;
}

interface Frame {
  start: number;
  /** First byte after the header block's blank line. */
  bodyStart: number;
  end: number;
}

/** An independent, minimal framer of well-formed recordings (header block, then Content-Length bytes). */
function referenceFrames(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  let start = 0;
  while (start < bytes.length) {
    const blank = bytes.indexOf('\n\n', start, 'latin1');
    assert.notEqual(blank, -1, `unterminated header block at byte ${start}`);
    const head = bytes.toString('latin1', start, blank);
    const length = /^Content-Length: (\d+)$/m.exec(head);
    const bodyStart = blank + 2;
    const end = bodyStart + (length === null ? 0 : Number(length[1]));
    assert.ok(end <= bytes.length, `frame at byte ${start} runs past the end`);
    frames.push({ start, bodyStart, end });
    start = end;
  }
  return frames;
}

/** Deterministic PRNG (mulberry32), so a failing split point is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function eventsOf(messages: readonly EslMessage[]): EslEvent[] {
  return messages.flatMap((m) => (m.kind === 'event' ? [m.event] : []));
}

function only<T>(items: readonly T[], what: string): T {
  assert.equal(items.length, 1, `expected exactly one ${what}, got ${items.length}`);
  return items[0] as T;
}

function decodeFixture(path: string): EslMessage[] {
  return EslDecoder.decodeAll(readEsl(path));
}

const ALL = listEsl();
const SMALL_FILE = 30 * 1024;

// ---- chunking: whole, byte by byte, two chunks ----

describe('every recording decodes the same however it is chunked', () => {
  it('finds the recordings', () => {
    assert.ok(ALL.length >= 30, `only ${ALL.length} .esl files found`);
    for (const dir of ['esl-inbound', 'esl-events', 'esl-outbound', 'esl-control']) {
      assert.ok(ALL.some((p) => p.startsWith(`${dir}/`)), `no fixtures under ${dir}`);
    }
  });

  for (const path of ALL) {
    describe(path, () => {
      const bytes = readEsl(path);
      const frames = referenceFrames(bytes);
      const whole = EslDecoder.decodeAll(bytes);

      it('whole: one message per frame, no garbage, nothing left buffered', () => {
        assert.equal(whole.length, frames.length);
        assert.deepEqual(
          whole.filter((m) => m.kind === 'garbage' || m.kind === 'unknown'),
          [],
        );
        const decoder = new EslDecoder();
        decoder.push(bytes, () => {});
        assert.equal(decoder.bufferedBytes, 0);
      });

      it('one frame per chunk', () => {
        const { messages, buffered } = decodeChunks(frames.map((f) => bytes.subarray(f.start, f.end)));
        assert.equal(buffered, 0);
        assertSameMessages(messages, whole);
      });

      it('one byte at a time', () => {
        assertSameMessages(decodeBytewise(bytes), whole);
      });

      if (bytes.length <= SMALL_FILE) {
        it('two chunks, split at every byte boundary', () => {
          for (let at = 1; at < bytes.length; at++) {
            const { messages, buffered } = decodeChunks([bytes.subarray(0, at), bytes.subarray(at)]);
            assert.equal(buffered, 0, `split at ${at}`);
            assertSameMessages(messages, whole, `split at ${at}`);
          }
        });
      } else {
        // A large file: every split within 3 bytes of a frame boundary or of a frame's
        // header/body boundary (where the decoder changes state), plus random points. The
        // decoder holds nothing between frames (checked by 'one frame per chunk'), so a split
        // inside frame i is fed as the window of frames i-1..i+1, which keeps this fast.
        it('two chunks, split around every frame and body boundary (windowed) and at random points', () => {
          const points = new Set<number>();
          for (const f of frames) {
            for (let d = -3; d <= 3; d++) {
              points.add(f.start + d);
              points.add(f.bodyStart + d);
            }
          }
          const random = prng(bytes.length);
          for (let k = 0; k < 300; k++) points.add(1 + Math.floor(random() * (bytes.length - 1)));
          let frameIndex = 0;
          for (const at of [...points].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b)) {
            while ((frames[frameIndex] as Frame).end <= at) frameIndex++;
            const first = Math.max(0, frameIndex - 1);
            const last = Math.min(frames.length - 1, frameIndex + 1);
            const from = (frames[first] as Frame).start;
            const to = (frames[last] as Frame).end;
            const { messages, buffered } = decodeChunks([bytes.subarray(from, at), bytes.subarray(at, to)]);
            assert.equal(buffered, 0, `split at ${at}`);
            assertSameMessages(messages, whole.slice(first, last + 1), `split at ${at}`);
          }
        });

        it('two chunks of the whole file at 10 random points', () => {
          const random = prng(bytes.length ^ 0x5eed);
          for (let k = 0; k < 10; k++) {
            const at = 1 + Math.floor(random() * (bytes.length - 1));
            const { messages, buffered } = decodeChunks([bytes.subarray(0, at), bytes.subarray(at)]);
            assert.equal(buffered, 0, `split at ${at}`);
            assertSameMessages(messages, whole, `split at ${at}`);
          }
        });
      }
    });
  }
});

// ---- nothing dropped: decoded frames against the recorded transcripts ----

describe('decoded frames match the transcripts', () => {
  for (const path of ALL) {
    it(path, () => {
      const bytes = readEsl(path);
      const chunks = readTranscript(path);
      assert.ok(bytesSent(chunks).equals(bytes), 'S>C chunks of the transcript are not the .esl bytes');
      const messages = EslDecoder.decodeAll(bytes);
      // Fed exactly as FreeSWITCH's TCP reads arrived.
      const asRecorded = decodeChunks(chunks.filter((c) => c.dir === 'S>C').map((c) => c.bytes));
      assertSameMessages(asRecorded.messages, messages);
      if (transcriptLayout(path) !== 'timeline') return;

      const timeline = readTimelineFrames(path);
      assert.deepEqual(
        referenceFrames(bytes).map((f) => [f.start, f.end - f.start]),
        timeline.map((f) => [f.offset, f.length]),
        'timeline offsets',
      );
      assert.equal(messages.length, timeline.length);
      const expectedKind: Record<string, EslMessage['kind']> = {
        'auth/request': 'auth-request',
        'command/reply': 'command-reply',
        'api/response': 'api-response',
        'text/event-plain': 'event',
        'text/event-json': 'event',
        'text/disconnect-notice': 'disconnect-notice',
      };
      let events = 0;
      timeline.forEach((frame, i) => {
        const message = messages[i] as EslMessage;
        assert.equal(message.kind, expectedKind[frame.contentType], `frame ${i} (${frame.contentType})`);
        if (message.kind !== 'event') return;
        events++;
        assert.equal(message.format, frame.contentType === 'text/event-json' ? 'json' : 'plain');
        // The summary starts with the event name (and the subclass for CUSTOM events).
        const [name, second] = frame.summary.split(' ');
        assert.equal(message.event.name, name, `frame ${i}`);
        if (name === 'CUSTOM') assert.equal(message.event.subclass, second, `frame ${i}`);
        const uuid = /Unique-ID=(\S+)/.exec(frame.summary);
        if (uuid !== null) assert.equal(message.event.uuid, uuid[1], `frame ${i}`);
      });
      assert.equal(
        events,
        timeline.filter((f) => f.contentType.startsWith('text/event-')).length,
        'events in the timeline',
      );
    });
  }
});

// ---- content of the recordings ----

describe('inbound session replies', () => {
  it('auth-success: auth/request, then +OK accepted', () => {
    const messages = decodeFixture('esl-inbound/auth-success');
    assert.deepEqual(
      messages.map((m) => m.kind),
      ['auth-request', 'command-reply'],
    );
    const reply = messages[1];
    assert.ok(reply?.kind === 'command-reply');
    assert.equal(reply.replyText, '+OK accepted');
    assert.equal(reply.headers['Content-Type'], 'command/reply');
    assert.equal(reply.channelData, undefined);
  });

  const GOODBYE = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

  it('auth-wrong-password: -ERR invalid, then the ClueCon disconnect-notice', () => {
    const messages = decodeFixture('esl-inbound/auth-wrong-password');
    assert.deepEqual(
      messages.map((m) => m.kind),
      ['auth-request', 'command-reply', 'disconnect-notice'],
    );
    assert.ok(messages[1]?.kind === 'command-reply');
    assert.equal(messages[1].replyText, '-ERR invalid');
    const notice = messages[2];
    assert.ok(notice?.kind === 'disconnect-notice');
    assert.equal(notice.body, GOODBYE);
    assert.equal(notice.headers['Content-Length'], '67');
  });

  it('exit: +OK bye, then the same notice', () => {
    const messages = decodeFixture('esl-inbound/exit');
    assert.deepEqual(
      messages.map((m) => (m.kind === 'command-reply' ? m.replyText : m.kind)),
      ['auth-request', '+OK accepted', '+OK bye', 'disconnect-notice'],
    );
    assert.ok(messages[3]?.kind === 'disconnect-notice');
    assert.equal(messages[3].body, GOODBYE);
  });

  it('command-before-auth: -ERR command not found, then auth still works', () => {
    const messages = decodeFixture('esl-inbound/command-before-auth');
    assert.deepEqual(
      messages.map((m) => (m.kind === 'command-reply' ? m.replyText : m.kind)),
      ['auth-request', '-ERR command not found', '+OK accepted'],
    );
  });

  it('api/response bodies are kept exactly, in-band errors included', () => {
    const bodies = (path: string): string[] =>
      decodeFixture(path).flatMap((m) => (m.kind === 'api-response' ? [m.body] : []));
    assert.deepEqual(bodies('esl-inbound/api-show-channels-json-no-calls'), ['{"row_count": 0}\n']);
    assert.deepEqual(bodies('esl-inbound/api-nonexistent-command'), ['-ERR nonexistent_command Command not found!\n']);
    assert.deepEqual(bodies('esl-inbound/api-originate-failures'), [
      '-ERR USER_NOT_REGISTERED\n',
      '-ERR CHAN_NOT_IMPLEMENTED\n',
    ]);
    const usage = bodies('esl-inbound/api-usage-and-error-replies');
    assert.equal(usage.length, 8);
    assert.match(usage[0] ?? '', /^-USAGE: <call url> <exten>\|&<application_name>\(<app_args>\) .*\n$/);
    assert.deepEqual(usage.slice(1, 5), ['-USAGE: <uuid> [cause]\n', '-ERR No such channel!\n', '-ERR No such channel!\n', 'Invalid Profile!\n']);
    assert.deepEqual(usage.slice(6), ['+OK [Success]\n', '-ERR no reply\n']);
    const status = only(bodies('esl-inbound/api-status'), 'api-response');
    assert.match(status, /^UP 0 years, /);
    assert.match(status, /FreeSWITCH \(Version 1\.11\.3-dev {2}64bit\) is ready\n/);
  });

  it('show channels as json with a call: the body ends with } and no newline', () => {
    const responses = decodeFixture('esl-inbound/api-show-channels-json-one-call').flatMap((m) =>
      m.kind === 'api-response' ? [m] : [],
    );
    assert.equal(responses.length, 2);
    for (const r of responses) {
      assert.ok(r.body.endsWith('}'), r.body.slice(-20));
      assert.equal(Buffer.byteLength(r.body), Number(r.headers['Content-Length']));
      const parsed = JSON.parse(r.body) as { row_count: number };
      assert.equal(parsed.row_count, 1);
    }
  });

  it('an unknown ESL verb gets command/reply -ERR command not found', () => {
    const messages = decodeFixture('esl-inbound/api-nonexistent-command');
    const last = messages[messages.length - 1];
    assert.ok(last?.kind === 'command-reply');
    assert.equal(last.replyText, '-ERR command not found');
  });
});

describe('bgapi and BACKGROUND_JOB', () => {
  for (const format of ['plain', 'json'] as const) {
    it(`${format}: +OK Job-UUID reply, then the event with that Job-UUID and the status text as body`, () => {
      const path = `esl-inbound/bgapi-status-background-job-${format}`;
      const messages = decodeFixture(path);
      const reply = messages.find(
        (m): m is Extract<EslMessage, { kind: 'command-reply' }> =>
          m.kind === 'command-reply' && m.replyText.startsWith('+OK Job-UUID: '),
      );
      assert.ok(reply !== undefined);
      const jobUuid = reply.headers['Job-UUID'] ?? '';
      assert.match(jobUuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(reply.replyText, `+OK Job-UUID: ${jobUuid}`);

      const message = only(
        messages.filter((m) => m.kind === 'event'),
        'event',
      );
      assert.ok(message.kind === 'event');
      assert.equal(message.format, format);
      const event = message.event;
      assert.equal(event.name, 'BACKGROUND_JOB');
      assert.equal(event.get('Job-UUID'), jobUuid);
      assert.equal(event.get('Job-Command'), 'status');
      assert.equal(event.get('Content-Length'), undefined, 'framing Content-Length is not a header');
      assert.equal(event.get('_body'), undefined);
      const body = event.body ?? '';
      assert.match(body, /^UP 0 years, 0 days, 0 hours, \d+ minutes/);
      assert.match(body, /\n1000 session\(s\) max\n/);

      // The body is exactly the recorded text: for plain, the bytes after the inner blank line.
      const raw = readEsl(path).toString('utf8');
      if (format === 'plain') {
        const inner = raw.slice(raw.indexOf('Event-Name: BACKGROUND_JOB'));
        const innerLength = Number(/\nContent-Length: (\d+)\n\n/.exec(inner)?.[1]);
        assert.equal(body, inner.slice(inner.indexOf('\n\n') + 2));
        assert.equal(Buffer.byteLength(body), innerLength);
      } else {
        assert.ok(raw.includes(`"_body":${JSON.stringify(body)}`), 'body as recorded in _body');
        assert.ok(raw.includes(`"Content-Length":"${Buffer.byteLength(body)}"`));
      }
    });
  }

  it('a client-supplied Job-UUID comes back in the reply and the event', () => {
    const messages = decodeFixture('esl-inbound/bgapi-client-supplied-job-uuid');
    const uuid = '11111111-2222-3333-4444-555555555555';
    assert.ok(messages.some((m) => m.kind === 'command-reply' && m.replyText === `+OK Job-UUID: ${uuid}`));
    const event = only(eventsOf(messages), 'event');
    assert.equal(event.get('Job-UUID'), uuid);
  });

  it('originate failure: Job-Command-Arg decoded, body is the -ERR text', () => {
    const event = only(eventsOf(decodeFixture('esl-inbound/api-originate-failures')), 'event');
    assert.equal(event.name, 'BACKGROUND_JOB');
    assert.equal(event.get('Job-Command'), 'originate');
    assert.equal(event.get('Job-Command-Arg'), 'user/1015 &park()');
    assert.equal(event.body, '-ERR USER_NOT_REGISTERED\n');
  });

  it('subscribed to ALL: api/response, API event, bgapi reply, API event, BACKGROUND_JOB', () => {
    const messages = decodeFixture('esl-inbound/api-and-bgapi-while-subscribed-to-all');
    assert.deepEqual(
      messages.slice(3).map((m) => (m.kind === 'event' ? m.event.name : m.kind)),
      ['api-response', 'API', 'command-reply', 'API', 'BACKGROUND_JOB'],
    );
  });
});

describe('plain and json events carry the same headers', () => {
  const plainJob = only(eventsOf(decodeFixture('esl-inbound/bgapi-status-background-job-plain')), 'event');
  const jsonJob = only(eventsOf(decodeFixture('esl-inbound/bgapi-status-background-job-json')), 'event');

  it('BACKGROUND_JOB: same header names in the same order, same static values', () => {
    assert.deepEqual(Object.keys(plainJob.headers), Object.keys(jsonJob.headers));
    for (const name of ['Event-Name', 'Core-UUID', 'FreeSWITCH-Hostname', 'FreeSWITCH-IPv4', 'Job-Command']) {
      assert.equal(plainJob.get(name), jsonJob.get(name), name);
    }
  });

  it('values are decoded in both formats', () => {
    for (const event of [plainJob, jsonJob]) {
      assert.equal(event.get('FreeSWITCH-IPv6'), 'fd00::2');
      assert.match(event.get('Event-Date-GMT') ?? '', /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      assert.match(event.get('Event-Date-Local') ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.match(event.get('Event-Sequence') ?? '', /^\d+$/);
    }
  });

  const scenario = 'register-call-answered-caller-hangup-unregister';
  const plainEvents = eventsOf(decodeFixture(`esl-events/event-plain-all-${scenario}`));
  const jsonEvents = eventsOf(decodeFixture(`esl-events/event-json-all-${scenario}`));

  it('sofia::register CUSTOM events: Event-Subclass decoded, before Event-Name, same header names', () => {
    const plain = plainEvents.filter((e) => e.subclass === 'sofia::register');
    const json = jsonEvents.filter((e) => e.subclass === 'sofia::register');
    assert.ok(plain.length >= 2 && plain.length === json.length, `${plain.length} vs ${json.length}`);
    for (const [p, j] of plain.map((e, i) => [e, json[i] as EslEvent] as const)) {
      assert.equal(p.name, 'CUSTOM');
      assert.deepEqual(Object.keys(p.headers).slice(0, 2), ['Event-Subclass', 'Event-Name']);
      assert.deepEqual(Object.keys(p.headers), Object.keys(j.headers));
      for (const name of ['from-user', 'profile-name', 'network-ip', 'realm', 'status']) {
        assert.equal(p.get(name), j.get(name), name);
      }
    }
    assert.equal(plain[0]?.get('profile-name'), 'internal');
    assert.match(plain[0]?.get('contact') ?? '', /^"" <sip:\d+@127\.0\.0\.1:\d+>$/);
  });

  it('each call leg sees the same sequence of events in both runs', () => {
    // Different runs, so different UUIDs: legs are compared in order of first appearance.
    const legs = (events: EslEvent[]): string[][] => {
      const byUuid = new Map<string, string[]>();
      for (const event of events) {
        const uuid = event.uuid;
        if (uuid === undefined) continue;
        const names = byUuid.get(uuid) ?? [];
        names.push(event.name === 'CHANNEL_STATE' ? `${event.name} ${event.get('Channel-State')}` : event.name);
        byUuid.set(uuid, names);
      }
      return [...byUuid.values()];
    };
    const plainLegs = legs(plainEvents);
    assert.equal(plainLegs.length, 2);
    assert.deepEqual(plainLegs, legs(jsonEvents));
    assert.deepEqual(plainLegs[0]?.slice(0, 3), ['CHANNEL_STATE CS_NEW', 'CHANNEL_STATE CS_INIT', 'CHANNEL_CREATE']);
  });

  it('ARRAY:: values become arrays in plain, json arrays stay arrays', () => {
    const plainRaw = readEsl(`esl-events/event-plain-all-${scenario}`).toString('latin1');
    assert.ok(plainRaw.includes('variable_DP_MATCH: ARRAY%3A%3A1001%7C%3A1001\n'));
    for (const events of [plainEvents, jsonEvents]) {
      const withMatch = events.filter((e) => e.headers['variable_DP_MATCH'] !== undefined);
      assert.ok(withMatch.length > 0);
      for (const event of withMatch) {
        const value = event.headers['variable_DP_MATCH'];
        assert.ok(Array.isArray(value), `not an array: ${JSON.stringify(value)}`);
        assert.ok(value.every((v) => typeof v === 'string' && !v.includes('ARRAY::')));
      }
      assert.ok(withMatch.some((e) => JSON.stringify(e.getAll('variable_DP_MATCH')) === '["1001","1001"]'));
    }
    const fromPlain = plainEvents.filter((e) => e.headers['variable_DP_MATCH'] !== undefined);
    const fromJson = jsonEvents.filter((e) => e.headers['variable_DP_MATCH'] !== undefined);
    assert.deepEqual(
      fromPlain.map((e) => e.getAll('variable_DP_MATCH')),
      fromJson.map((e) => e.getAll('variable_DP_MATCH')),
    );
  });

  it('no value keeps url-encoding or the ARRAY:: marker', () => {
    for (const event of [...plainEvents, ...jsonEvents]) {
      for (const [name, value] of Object.entries(event.headers)) {
        for (const v of typeof value === 'string' ? [value] : value) {
          assert.ok(!v.startsWith('ARRAY::'), name);
          assert.ok(!/%(20|3A|40|3D)/.test(v) || name.includes('url') || name.includes('Data'), `${name}: ${v}`);
        }
      }
    }
  });
});

describe('outbound socket', () => {
  for (const path of listEsl('esl-outbound')) {
    it(`${path}: connect reply carries the channel data`, () => {
      const messages = decodeFixture(path);
      const connect = messages[0];
      assert.ok(connect?.kind === 'command-reply');
      assert.equal(connect.replyText, '+OK');
      assert.equal(connect.headers['Reply-Text'], '+OK');
      assert.equal(connect.headers['Socket-Mode'], 'async');
      assert.equal(connect.headers['Control'], 'full');
      const data = connect.channelData;
      assert.ok(data instanceof EslEvent);
      assert.equal(data.name, 'CHANNEL_DATA');
      assert.equal(data.get('Caller-Destination-Number'), '7000');
      assert.equal(data.get('Channel-Name'), 'sofia/internal/1000@127.0.0.1');
      assert.match(data.uuid ?? '', /^[0-9a-f-]{36}$/);
      const events = eventsOf(messages);
      assert.ok(events.length > 0);
      for (const event of events) assert.equal(event.uuid, data.uuid);

      assert.deepEqual(
        messages.slice(1, 4).map((m) => (m.kind === 'command-reply' ? m.replyText : m.kind)),
        ['+OK Events Enabled', '+OK will linger', '+OK'],
      );

      const notice = only(
        messages.filter((m) => m.kind === 'disconnect-notice'),
        'disconnect-notice',
      );
      assert.ok(notice.kind === 'disconnect-notice');
      assert.equal(notice.headers['Content-Disposition'], 'linger');
      assert.equal(notice.headers['Linger-Time'], '-1');
      assert.equal(notice.headers['Controlled-Session-UUID'], data.uuid);
      assert.equal(notice.headers['Channel-Name'], 'sofia/internal/1000@127.0.0.1');
      assert.equal(notice.body, '');
    });
  }

  it('the sendmsg Event-UUID comes back as Application-UUID; playback results differ', () => {
    const uuid = '7f3c1d2e-8a4b-4c5d-9e6f-0a1b2c3d4e5f';
    const response = (path: string): (string | undefined)[] =>
      eventsOf(decodeFixture(path))
        .filter((e) => e.name === 'CHANNEL_EXECUTE_COMPLETE' && e.get('Application-UUID') === uuid)
        .map((e) => e.get('Application-Response'));
    assert.deepEqual(response('esl-outbound/outbound-socket-answer-playback-hangup'), ['FILE PLAYED']);
    assert.deepEqual(response('esl-outbound/outbound-socket-answer-playback-hangup-json'), ['FILE PLAYED']);
    assert.deepEqual(response('esl-outbound/outbound-socket-caller-hangs-up-during-playback'), ['PLAYBACK ERROR']);
  });

  it('the playback CHANNEL_EXECUTE carries the decoded tone_stream argument', () => {
    const execute = eventsOf(decodeFixture('esl-outbound/outbound-socket-answer-playback-hangup')).find(
      (e) => e.name === 'CHANNEL_EXECUTE' && e.get('Application') === 'playback',
    );
    assert.equal(execute?.get('Application-Data'), 'tone_stream://%(500,0,440)');
  });
});

describe('decodeAll and reset', () => {
  it('reset() forgets a partial frame', () => {
    const bytes = readEsl('esl-inbound/auth-success');
    const decoder = new EslDecoder();
    const seen: EslMessage[] = [];
    decoder.push(bytes.subarray(0, 40), (m) => seen.push(m));
    assert.equal(seen.length, 1);
    assert.ok(decoder.bufferedBytes > 0);
    decoder.reset();
    assert.equal(decoder.bufferedBytes, 0);
    decoder.push(bytes, (m) => seen.push(m));
    assert.deepEqual(
      seen.map((m) => m.kind),
      ['auth-request', 'auth-request', 'command-reply'],
    );
  });

  it('an empty chunk is a no-op', () => {
    const decoder = new EslDecoder();
    decoder.push(Buffer.alloc(0), () => assert.fail('no message expected'));
    assert.equal(decoder.bufferedBytes, 0);
  });
});
