/**
 * The command encoder: exact bytes (compared with what the recorder sent to the real
 * FreeSWITCH) and refusal of anything that could smuggle a second command (CR/LF).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFreectiError } from '../../src/errors.js';
import { encodeCommand, encodeExecute, encodeHangup } from '../../src/esl/encoder.js';
import { readTranscript } from '../helpers/fixtures.js';

const invalid = (fn: () => unknown): void => {
  assert.throws(fn, (error: unknown) => isFreectiError(error, 'ESL_INVALID_COMMAND'));
};

/** Header lines of a command, order-free (FreeSWITCH reads them as a set). */
function parts(bytes: string): { line: string; headers: string[]; rest: string } {
  const end = bytes.indexOf('\n\n');
  const [line = '', ...headers] = bytes.slice(0, end).split('\n');
  return { line, headers: headers.sort(), rest: bytes.slice(end) };
}

describe('encodeCommand', () => {
  it('matches the recorded client bytes', () => {
    const sent = readTranscript('esl-inbound/bgapi-client-supplied-job-uuid')
      .filter((c) => c.dir === 'C>S')
      .map((c) => c.bytes.toString('utf8'));
    assert.equal(encodeCommand('auth ClueCon'), sent[0]);
    assert.equal(encodeCommand('event plain BACKGROUND_JOB'), sent[1]);
    assert.equal(encodeCommand('bgapi status', { 'Job-UUID': '11111111-2222-3333-4444-555555555555' }), sent[2]);
  });

  it('adds Content-Length for a body', () => {
    assert.equal(encodeCommand('sendevent CUSTOM', { 'Event-Subclass': 'x::y' }, 'héllo'), 'sendevent CUSTOM\nEvent-Subclass: x::y\nContent-Length: 6\n\nhéllo');
  });

  it('refuses CR or LF anywhere in the line, a header name or a value', () => {
    invalid(() => encodeCommand('api status\n\napi system rm -rf /'));
    invalid(() => encodeCommand('api status\r'));
    invalid(() => encodeCommand('bgapi status', { 'Job-UUID': 'x\nexit' }));
    invalid(() => encodeCommand('bgapi status', { 'a\nb': 'x' }));
    invalid(() => encodeCommand('bgapi status', { 'a:b': 'x' }));
    invalid(() => encodeCommand('bgapi status', { '': 'x' }));
  });
});

describe('encodeExecute / encodeHangup', () => {
  it('carries the same headers the recorder sent to FreeSWITCH', () => {
    const recorded = readTranscript('esl-control/inbound-sendmsg-play-and-get-digits-playback-hangup').find((c) => c.dir === 'C>S' && c.bytes.includes('play_and_get_digits'));
    assert.ok(recorded !== undefined);
    const uuid = '0c4e6a04-cd06-45d2-abab-7830c066f2a5';
    const ours = encodeExecute(uuid, 'play_and_get_digits', '1 4 1 5000 # tone_stream://%(200,0,600) silence_stream://250 digits \\d+', {
      eventUuid: 'a1a1a1a1-0000-4000-8000-000000000001',
    });
    assert.deepEqual(parts(ours), parts(recorded.bytes.toString('utf8')));
  });

  it('moves a multi-line or long argument into a body', () => {
    const bytes = encodeExecute('u1', 'set', 'a\nb', { eventUuid: 'e1' });
    assert.match(bytes, /\ncontent-type: text\/plain\nContent-Length: 3\n\na\nb$/);
    assert.ok(!bytes.includes('execute-app-arg'));
    const long = encodeExecute('u1', 'log', 'x'.repeat(3000));
    assert.match(long, /Content-Length: 3000\n\nx{3000}$/);
  });

  it('sends event-lock and loops only when asked', () => {
    const bytes = encodeExecute('u1', 'playback', 'f.wav', { eventLock: true, loops: 2 });
    assert.match(bytes, /\nevent-lock: true\n/);
    assert.match(bytes, /\nloops: 2\n/);
    assert.ok(!encodeExecute('u1', 'answer', '').includes('event-lock'));
  });

  it('refuses white space in a uuid and line breaks in app names or causes', () => {
    invalid(() => encodeExecute('u1 u2', 'answer', ''));
    invalid(() => encodeExecute('u1\n', 'answer', ''));
    invalid(() => encodeExecute('u1', 'answer\nexit', ''));
    invalid(() => encodeHangup('u1', 'NORMAL_CLEARING\n\nexit'));
    assert.equal(encodeHangup('u1'), 'sendmsg u1\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING\n\n');
  });
});
