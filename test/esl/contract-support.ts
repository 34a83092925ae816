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
import { connect, createServer, type Socket } from 'node:net';
import { EslDecoder } from '../../src/esl/decoder.js';
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
  for (const frame of frames) checkInnerLength(frame);
  return normaliseTexts(frames.map((frame) => frame.toString('utf8')), clientBytes);
}

/** The normalisation of normaliseFrames on texts (e.g. projections of frames). */
export function normaliseTexts(texts: readonly string[], clientBytes: string): string[] {
  const names = new Map<string, string>();
  return texts.map((original) => {
    let text = original;
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
export function checkInnerLength(frame: Buffer): void {
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
export async function driveTranscript(
  chunks: readonly TranscriptChunk[],
  host: string,
  port: number,
  /** Which server frames count (default all); with `isReply` only replies pace the client (events are not compared). */
  counts: (frame: Buffer) => boolean = () => true,
): Promise<DrivenSession> {
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
      const frames = splitFrames(expected).filter(counts).length;
      await until(() => splitFrames(received).filter(counts).length >= frames, `sent ${frames} frames`);
      socket.write(chunk.bytes);
    }
  }
  const frames = splitFrames(expected).filter(counts).length;
  await until(() => splitFrames(received).filter(counts).length >= frames && (!expectClose || closed), `sent ${frames} frames${expectClose ? ' and closed' : ''}`);
  // Anything extra the server sends right after would show up in the comparison.
  await new Promise((r) => setTimeout(r, 20));
  socket.destroy();
  return { received, closedByServer: closed };
}

/** Not an event: a command/reply, api/response, auth/request or disconnect-notice. */
export function isReply(frame: Buffer): boolean {
  return !/^Content-Type: text\/event-/m.test(frame.toString('latin1', 0, Math.max(0, frame.indexOf('\n\n'))));
}

/** Headers an outbound-mode event is compared on (the fake's channel events carry a short header set, not ~200). */
export const OUTBOUND_EVENT_HEADERS = [
  'Event-Name',
  'Unique-ID',
  'Channel-State',
  'Channel-Call-State',
  'Answer-State',
  'Application',
  'Application-Data',
  'Application-Response',
  'Application-UUID',
  'Hangup-Cause',
] as const;

/**
 * One frame as compared in the outbound contract: replies (command/reply, api/response,
 * disconnect-notice, the connect reply) whole; an event as its Content-Type and the
 * OUTBOUND_EVENT_HEADERS it has, decoded (plain and json alike).
 */
export function projectFrame(frame: Buffer): string {
  const text = frame.toString('utf8');
  if (text.startsWith('Event-Name: CHANNEL_DATA\n')) return projectConnectReply(text);
  const [message] = EslDecoder.decodeAll(frame);
  if (message?.kind !== 'event') return text;
  const lines = [`event ${message.format}`];
  for (const name of OUTBOUND_EVENT_HEADERS) {
    let value = message.event.get(name);
    // where the client's server listened (the recordings: 127.0.0.1:8084)
    if (name === 'Application-Data' && message.event.get('Application') === 'socket') value = value?.replace(/^[^ ]+/, '<socket address>');
    if (value !== undefined) lines.push(`${name}: ${value}`);
  }
  return lines.join('\n');
}

/** Values of the connect reply compared as they are; every other header by name and place only. */
const CONNECT_VALUES = new Set(['Event-Name', 'Unique-ID', 'Channel-State', 'Channel-Call-State', 'Answer-State', 'Call-Direction', 'Channel-Name', 'Content-Type', 'Reply-Text', 'Socket-Mode', 'Control']);

/**
 * The outbound `connect` reply (one header block, no Content-Length, README observation 9):
 * every header name in order, the values of CONNECT_VALUES (run-specific values such as
 * creation times, SIP call ids and session numbers differ between two real calls).
 */
function projectConnectReply(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const colon = line.indexOf(': ');
      if (colon === -1) return line;
      const name = line.slice(0, colon);
      return CONNECT_VALUES.has(name) ? line : name;
    })
    .join('\n');
}

export interface OutboundDrive {
  /** Everything the fake sent. */
  readonly received: Buffer;
  /** The client bytes of the recording, as sent. */
  readonly clientBytes: string;
}

/**
 * The client side of a recorded outbound session, against the fake's outbound mode: a TCP
 * server on loopback, `dial(port)` makes the fake connect to it, then every recorded C>S
 * chunk is sent once the fake has sent as many frames as FreeSWITCH had before it. Where
 * FreeSWITCH sent a CHANNEL_HANGUP that no client hangup asked for (the caller hung up),
 * `callerHangsUp()` is called once the fake has sent the frames before it.
 */
export async function driveOutbound(chunks: readonly TranscriptChunk[], dial: (port: number) => void, callerHangsUp: () => void): Promise<OutboundDrive> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  dial(typeof address === 'object' && address !== null ? address.port : 0);
  const socket = await accepted;
  server.close();
  let received = Buffer.alloc(0);
  socket.on('data', (data: Buffer) => {
    received = Buffer.concat([received, data]);
  });
  socket.on('error', () => undefined);
  const until = async (test: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 3000;
    while (!test()) {
      if (Date.now() > deadline) throw new Error(`fake never ${what}; got ${JSON.stringify(received.toString('utf8').slice(-300))}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  let expected = Buffer.alloc(0);
  let clientHangup = false;
  let clientBytes = '';
  for (const chunk of chunks) {
    if (chunk.dir === 'S>C') {
      const before = splitFrames(expected).length;
      const [message] = EslDecoder.decodeAll(chunk.bytes);
      if (!clientHangup && message?.kind === 'event' && message.event.name === 'CHANNEL_HANGUP') {
        await until(() => splitFrames(received).length >= before, `sent the ${before} frames before the caller's hangup`);
        callerHangsUp();
        clientHangup = true;
      }
      expected = Buffer.concat([expected, chunk.bytes]);
    } else if (chunk.dir === 'C>S') {
      const frames = splitFrames(expected).length;
      await until(() => splitFrames(received).length >= frames, `sent ${frames} frames`);
      if (/call-command: hangup/.test(chunk.bytes.toString('utf8'))) clientHangup = true;
      clientBytes += chunk.bytes.toString('utf8');
      socket.write(chunk.bytes);
    }
  }
  const frames = splitFrames(expected).length;
  await until(() => splitFrames(received).length >= frames, `sent ${frames} frames`);
  await new Promise((r) => setTimeout(r, 20));
  socket.destroy();
  return { received, clientBytes };
}
