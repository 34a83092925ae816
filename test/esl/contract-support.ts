/**
 * Helpers of contract.test.ts: framing and normalisation of server bytes, and driving a
 * recorded transcript's client side against a live server.
 *
 * Normalisation (only values that legitimately differ between two FreeSWITCH runs):
 * - UUIDs the client did not send become `<uuid-N>`, numbered by first appearance, so
 *   "the same UUID in the reply and in the event" is still checked;
 * - values of Event-Date-Local/-GMT/-Timestamp, Event-Sequence (clock and global counter),
 *   FreeSWITCH-Hostname/-Switchname/-IPv4/-IPv6 (the machine) become `<Name>`;
 * - in `status` output (uptime, session counts, idle cpu) every number becomes `#`;
 * - `created` / `created_epoch` / `hostname` values of `show ... as json` rows become `<...>`;
 * - every Content-Length value becomes `<len>` (lengths follow from the values above);
 *   instead, each frame and each inner plain-event body is checked to be exactly as
 *   long as its Content-Length says.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { TranscriptChunk } from '../helpers/fixtures.js';

/** Splits a server byte stream into frames (header block + Content-Length body). */
export function splitFrames(bytes: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\n\n', at);
    if (end === -1) break;
    const length = /(?:^|\n)Content-Length: (\d+)/.exec(bytes.toString('latin1', at, end));
    const frameEnd = end + 2 + (length === null ? 0 : Number(length[1]));
    if (frameEnd > bytes.length) break;
    frames.push(bytes.subarray(at, frameEnd));
    at = frameEnd;
  }
  return frames;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const VARYING = [
  'Event-Date-Local',
  'Event-Date-GMT',
  'Event-Date-Timestamp',
  'Event-Sequence',
  'FreeSWITCH-Hostname',
  'FreeSWITCH-Switchname',
  'FreeSWITCH-IPv4',
  'FreeSWITCH-IPv6',
];
const STATUS = /UP \d+ years[\s\S]*?Current Stack Size\/Max \d+K\/\d+K/g;

/** Normalised text of every frame of one stream (see the file comment). */
export function normaliseFrames(frames: readonly Buffer[], clientBytes: string): string[] {
  const names = new Map<string, string>();
  return frames.map((frame) => {
    checkInnerLength(frame);
    let text = frame.toString('utf8');
    text = text.replace(UUID, (uuid) => {
      if (clientBytes.includes(uuid)) return uuid;
      if (!names.has(uuid)) names.set(uuid, `<uuid-${names.size + 1}>`);
      return names.get(uuid) as string;
    });
    for (const name of VARYING) {
      text = text.replace(new RegExp(`^${name}: .*$`, 'gm'), `${name}: <${name}>`);
      text = text.replace(new RegExp(`"${name}":"[^"]*"`, 'g'), `"${name}":"<${name}>"`);
    }
    text = text.replace(STATUS, (status) => status.replace(/\d+/g, '#'));
    text = text.replace(/"(created|created_epoch|hostname)":"[^"]*"/g, '"$1":"<$1>"');
    text = text.replace(/^Content-Length: \d+$/gm, 'Content-Length: <len>');
    return text.replace(/"Content-Length":"\d+"/g, '"Content-Length":"<len>"');
  });
}

/** A plain event's inner body Content-Length must match the bytes that follow it. */
function checkInnerLength(frame: Buffer): void {
  const outerEnd = frame.indexOf('\n\n');
  if (!frame.subarray(0, outerEnd).includes('text/event-plain')) return;
  const inner = frame.subarray(outerEnd + 2);
  const innerEnd = inner.indexOf('\n\n');
  const length = /\nContent-Length: (\d+)$/.exec(inner.toString('latin1', 0, innerEnd));
  if (length === null) {
    assert.equal(innerEnd + 2, inner.length, 'a plain event without a body ends with its blank line');
    return;
  }
  assert.equal(inner.length - innerEnd - 2, Number(length[1]), 'inner Content-Length matches the event body');
}

export interface DrivenSession {
  /** Everything the server sent. */
  readonly received: Buffer;
  readonly closedByServer: boolean;
}

/**
 * Sends the transcript's C>S chunks to host:port, each once the server has sent as many
 * frames as FreeSWITCH had sent before it; then waits for the rest (and the close when
 * FreeSWITCH closed).
 */
export async function driveTranscript(chunks: readonly TranscriptChunk[], host: string, port: number): Promise<DrivenSession> {
  const socket = connect({ host, port });
  let received = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (data: Buffer) => {
    received = Buffer.concat([received, data]);
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
  });
  const until = async (test: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 3000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`server never ${what}; got ${JSON.stringify(received.toString('utf8').slice(-300))}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  let expected = Buffer.alloc(0);
  let expectClose = false;
  for (const chunk of chunks) {
    if (chunk.dir === 'S>C') expected = Buffer.concat([expected, chunk.bytes]);
    else if (chunk.dir === 'NOTE') expectClose ||= /closed the TCP connection/.test(chunk.bytes.toString('utf8'));
    else {
      const frames = splitFrames(expected).length;
      await until(() => splitFrames(received).length >= frames, `sent ${frames} frames`);
      socket.write(chunk.bytes);
    }
  }
  const frames = splitFrames(expected).length;
  await until(() => splitFrames(received).length >= frames && (!expectClose || closed), `sent ${frames} frames${expectClose ? ' and closed' : ''}`);
  // Anything extra the server sends right after would show up in the comparison.
  await new Promise((r) => setTimeout(r, 20));
  socket.destroy();
  return { received, closedByServer: closed };
}
