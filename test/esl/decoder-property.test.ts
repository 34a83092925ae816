/**
 * Property tests of the ESL decoder (fast-check): chunking never changes the result,
 * garbage between frames never costs a valid message, random bytes never throw and never
 * grow the buffer past its limits, and the event-body parsers agree with a reference.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EslDecoder } from '../../src/esl/decoder.js';
import { EslEvent } from '../../src/esl/event.js';
import type { EslMessage } from '../../src/esl/messages.js';
import { parsePlainEventBody } from '../../src/esl/parse-headers.js';
import { parseFlatJsonObject, parseJsonEventBody } from '../../src/esl/parse-json-event.js';
import { listEsl, readEsl } from '../helpers/fixtures.js';

function normalise(value: unknown): unknown {
  if (value instanceof EslEvent) return { event: normalise(value.headers), body: value.body ?? null };
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') return Object.entries(value).map(([k, v]) => [k, normalise(v)]);
  return value;
}

function fingerprints(messages: readonly EslMessage[]): string[] {
  // Events (the bulk) take a faster path than the generic normalise: the same content.
  return messages.map((m) =>
    m.kind === 'event'
      ? JSON.stringify([m.kind, m.format, Object.entries(m.event.headers), m.event.body ?? null])
      : JSON.stringify(normalise(m)),
  );
}

/** Cuts `bytes` into consecutive chunks whose sizes cycle through `sizes`. */
function cut(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0, k = 0; offset < bytes.length; k++) {
    const size = sizes[k % sizes.length] ?? bytes.length;
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

function decodeChunks(chunks: readonly Buffer[], decoder = new EslDecoder()): EslMessage[] {
  const messages: EslMessage[] = [];
  for (const chunk of chunks) decoder.push(chunk, (m) => messages.push(m));
  return messages;
}

/** Chunk sizes from 1 byte to beyond a frame, like TCP reads. */
const chunkSizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 70_000 })), {
  minLength: 1,
  maxLength: 40,
});

const TOKENS = ['Content-Type: ', 'Content-Length: ', 'Event-Name: '];

/** The recordings, concatenated: every inbound and outbound session, plus one events session per format. */
const CORPUS = Buffer.concat(
  [
    ...listEsl('esl-inbound'),
    ...listEsl('esl-outbound'),
    'esl-control/registration-expire-sofia-events.esl',
    'esl-control/api-call-control-error-replies.esl',
    'esl-events/event-plain-all-call-to-unregistered-user.esl',
    'esl-events/event-json-all-call-rejected-486-busy.esl',
  ].map(readEsl),
);

describe('decoder properties', () => {
  const expected = fingerprints(EslDecoder.decodeAll(CORPUS));

  it('any split of the concatenated recordings gives the same messages', () => {
    assert.ok(expected.length > 400);
    fc.assert(
      fc.property(chunkSizes, (sizes) => {
        const decoder = new EslDecoder();
        assert.deepEqual(fingerprints(decodeChunks(cut(CORPUS, sizes), decoder)), expected);
        assert.equal(decoder.bufferedBytes, 0);
      }),
      { numRuns: 25 },
    );
  });

  it('garbage between frames never costs a valid message', () => {
    // The resync rule: a frame starts with one of TOKENS; anything else is skipped up to
    // the next token or past its header block. So garbage holding no token cannot hide a
    // frame, whatever else it holds (newlines, colons, blank lines, partial tokens).
    const small = Buffer.concat([...listEsl('esl-inbound'), 'esl-outbound/outbound-socket-answer-playback-hangup.esl'].map(readEsl));
    const frames = frameOffsets(small);
    const valid = fingerprints(EslDecoder.decodeAll(small));
    assert.equal(valid.length, frames.length - 1);

    const pieces = fc.constantFrom(
      '\n',
      '\n\n',
      ':',
      ': ',
      'Content-',
      'Content-Typ',
      'Content-Type:',
      'Content-Length:7',
      'Content-Type:text/plain',
      'Event-Name',
      'Event-Name:',
      'Reply-Text: +OK',
      'Content-Length',
      '%',
      '{"',
      'x',
      '\r\n',
      'é',
      '\u0000',
    );
    const garbage = fc
      .oneof(
        fc.uint8Array({ minLength: 1, maxLength: 80 }).map((a) => Buffer.from(a)),
        fc.array(pieces, { minLength: 1, maxLength: 12 }).map((p) => Buffer.from(p.join(''), 'utf8')),
      )
      .filter((b) => !TOKENS.some((t) => b.includes(t, 0, 'latin1')));
    const insertions = fc.array(fc.tuple(fc.nat(), garbage), { minLength: 1, maxLength: 10 });

    fc.assert(
      fc.property(insertions, chunkSizes, (inserts, sizes) => {
        const parts: Buffer[] = [];
        const at = new Map<number, Buffer[]>();
        for (const [where, bytes] of inserts) {
          const boundary = where % frames.length;
          at.set(boundary, [...(at.get(boundary) ?? []), bytes]);
        }
        // Pieces that land on the same boundary are one garbage run: together they may spell
        // a token ('Content-Length' + ': '), which is a frame start, not garbage.
        fc.pre([...at.values()].every((run) => !TOKENS.some((t) => Buffer.concat(run).includes(t, 0, 'latin1'))));
        frames.forEach((offset, i) => {
          parts.push(...(at.get(i) ?? []));
          const next = frames[i + 1];
          if (next !== undefined) parts.push(small.subarray(offset, next));
        });
        const messages = decodeChunks(cut(Buffer.concat(parts), sizes));
        assert.deepEqual(fingerprints(messages.filter((m) => m.kind !== 'garbage')), valid);
      }),
      { numRuns: 200 },
    );
  });

  it('random bytes never throw and the buffer stays within its limits', () => {
    const limits = { maxHeaderBytes: 512, maxBodyBytes: 2048 };
    const bound = Math.max(limits.maxHeaderBytes, limits.maxBodyBytes);
    const pieces = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc
        .constantFrom(
          'Content-Type: text/event-plain\n',
          'Content-Type: text/event-json\n',
          'Content-Type: command/reply\n',
          'Content-Type: api/response\n',
          'Content-Length: 12\n',
          'Content-Length: 99999999\n',
          'Content-Length: -1\n',
          'Content-Length: 1e3\n',
          'Event-Name: CHANNEL_DATA\n',
          'Reply-Text: %2BOK%0A\n',
          'Event-Name: X\nA: ARRAY%3A%3Aa%7C%3Ab\n',
          '{"Event-Name":"X","a":["b"],"_body":"c"}',
          '{"a":1}',
          '%E2%82',
          '\n',
          '\n\n',
        )
        .map((s) => Buffer.from(s, 'utf8')),
      fc.integer({ min: 0, max: 3000 }).map((n) => Buffer.from(`Content-Length: ${n}\n\n`)),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), chunkSizes, (parts, sizes) => {
        const decoder = new EslDecoder(limits);
        for (const chunk of cut(Buffer.concat(parts), sizes)) {
          decoder.push(chunk, (m) => {
            assert.equal(typeof m.kind, 'string');
            if (m.kind === 'garbage') assert.ok(Number.isInteger(m.bytes) && m.bytes >= 0, m.reason);
          });
          assert.ok(decoder.bufferedBytes <= bound, `${decoder.bufferedBytes} bytes buffered`);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a long run of bytes without a header end is dropped, the frame after it still decodes', () => {
    const decoder = new EslDecoder({ maxHeaderBytes: 1000 });
    const messages: EslMessage[] = [];
    const noise = Buffer.alloc(5000, 'x');
    decoder.push(noise, (m) => messages.push(m));
    assert.ok(decoder.bufferedBytes <= 1000);
    // Garbage and the start of a frame in one read: the frame start token is kept.
    decoder.push(Buffer.concat([noise, Buffer.from('Content-Type: auth/request\n')]), (m) => messages.push(m));
    decoder.push(Buffer.from('\n'), (m) => messages.push(m));
    assert.ok(messages.some((m) => m.kind === 'garbage'));
    assert.equal(messages[messages.length - 1]?.kind, 'auth-request');
    assert.equal(decoder.bufferedBytes, 0);
  });
});

describe('event body parsers', () => {
  const anyString = fc.string({ unit: 'binary', maxLength: 20 });
  const headerValue = fc.oneof(anyString, fc.array(anyString, { maxLength: 4 }));

  it('json: the fast path gives exactly what JSON.parse gives', () => {
    fc.assert(
      fc.property(fc.dictionary(anyString, headerValue, { maxKeys: 30 }), (object) => {
        const text = JSON.stringify(object);
        const fast = parseFlatJsonObject(text);
        assert.ok(fast !== undefined, `fast path refused ${text}`);
        assert.deepEqual(normalise(fast), normalise(JSON.parse(text)));
      }),
      { numRuns: 500 },
    );
  });

  it('json: other shapes go to JSON.parse and still decode (or throw on invalid JSON)', () => {
    const shaped = fc.dictionary(anyString, fc.oneof(headerValue, fc.integer(), fc.constant(null), fc.boolean()), {
      maxKeys: 10,
    });
    fc.assert(
      fc.property(shaped, fc.boolean(), (object, indent) => {
        const text = JSON.stringify(object, null, indent ? 1 : undefined);
        const { headers } = parseJsonEventBody(text);
        const hasBody = typeof object['_body'] === 'string';
        for (const [name, value] of Object.entries(object)) {
          if (name === '_body' || (hasBody && name === 'Content-Length')) continue;
          const expected = value === null ? '' : Array.isArray(value) ? value : String(value);
          assert.deepEqual(headers[name], expected, name);
        }
      }),
      { numRuns: 300 },
    );
    assert.equal(parseFlatJsonObject('{"a":1}'), undefined);
    assert.equal(parseFlatJsonObject('{"a":"b"} '), undefined);
    assert.equal(parseFlatJsonObject('{"a":"b\\x"}'), undefined);
    assert.throws(() => parseJsonEventBody('{"a":"b"'));
    assert.throws(() => parseJsonEventBody('["a"]'));
  });

  it('json: _body is the body and its Content-Length is not a header', () => {
    const { headers, body } = parseJsonEventBody('{"Event-Name":"X","Content-Length":"3","_body":"a\\nb"}');
    assert.deepEqual(Object.keys(headers), ['Event-Name']);
    assert.equal(body, 'a\nb');
  });

  it('plain: url-encoded header lines decode to the original names and values', () => {
    // Names: anything but ':' and LF (a name ends at the first colon); values: anything,
    // url-encoded as FreeSWITCH does.
    const name = fc
      .string({ unit: 'binary', maxLength: 12 })
      .filter((n) => !n.includes(':') && !n.includes('\n') && n !== 'Content-Length');
    const value = anyString.filter((v) => !v.startsWith('ARRAY::'));
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 25 }), fc.option(anyString), (lines, body) => {
        const expected = new Map<string, string>();
        for (const [n, v] of lines) expected.set(n, v);
        let text = lines.map(([n, v]) => `${n}: ${encodeURIComponent(v)}\n`).join('');
        if (body !== null) text += `Content-Length: ${Buffer.byteLength(body)}\n\n${body}`;
        const parsed = parsePlainEventBody(text);
        assert.deepEqual(
          Object.entries(parsed.headers).sort(([a], [b]) => (a < b ? -1 : 1)),
          [...expected.entries()].sort(([a], [b]) => (a < b ? -1 : 1)),
        );
        assert.equal(parsed.body, body ?? undefined);

        // The same through the decoder, as a whole frame.
        const frame = Buffer.concat([
          Buffer.from(`Content-Length: ${Buffer.byteLength(text)}\nContent-Type: text/event-plain\n\n`),
          Buffer.from(text),
        ]);
        const [message] = EslDecoder.decodeAll(frame);
        assert.ok(message?.kind === 'event');
        assert.deepEqual(normalise(message.event.headers), normalise(parsed.headers));
      }),
      { numRuns: 400 },
    );
  });

  it('crafted header names that defeat the name guesses still parse right, in linear time', () => {
    // X, A0001x, X, A0002x, ...: after X the guess is always the previous A...x name, with
    // the same first and last character and length, but never seen again in the text.
    const lines = 80_000;
    const plainLines: string[] = [];
    const jsonPairs: string[] = [];
    for (let k = 0; k < lines; k++) {
      const name = k % 2 === 0 ? 'X' : `A${String(k).padStart(6, '0')}x`;
      plainLines.push(`${name}: v${k}`);
      jsonPairs.push(`${JSON.stringify(name)}:"v${k}"`);
    }
    const started = process.hrtime.bigint();
    const plain = parsePlainEventBody(`${plainLines.join('\n')}\n`);
    const json = parseJsonEventBody(`{${jsonPairs.join(',')}}`);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    assert.equal(Object.keys(plain.headers).length, lines / 2 + 1);
    assert.equal(plain.headers['A079999x'], 'v79999');
    assert.equal(plain.headers['X'], 'v79998');
    assert.deepEqual(json.headers, plain.headers);
    // Linear work takes well under a second; scanning on at every miss took ~20 s here.
    assert.ok(seconds < 8, `${seconds.toFixed(1)} s`);
  });

  it('plain: ARRAY:: values become arrays', () => {
    const parsed = parsePlainEventBody('A: ARRAY%3A%3A1001%7C%3A1001\nB: ARRAY::x\nC: ARRAY%3A%3A\n');
    assert.deepEqual(parsed.headers['A'], ['1001', '1001']);
    assert.deepEqual(parsed.headers['B'], ['x']);
    assert.deepEqual(parsed.headers['C'], ['']);
  });
});

/** Offsets where frames of a well-formed recording start, plus its length. */
function frameOffsets(bytes: Buffer): number[] {
  const offsets: number[] = [];
  let start = 0;
  while (start < bytes.length) {
    offsets.push(start);
    const blank = bytes.indexOf('\n\n', start, 'latin1');
    const length = /^Content-Length: (\d+)$/m.exec(bytes.toString('latin1', start, blank));
    start = blank + 2 + (length === null ? 0 : Number(length[1]));
  }
  offsets.push(bytes.length);
  return offsets;
}
