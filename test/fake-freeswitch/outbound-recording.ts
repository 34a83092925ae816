/**
 * The recorded outbound-socket sessions (test/fixtures/freeswitch/esl-outbound/) as steps
 * the fake dialer replays: each step is one command the client sent and the frames
 * FreeSWITCH wrote after it. Also: matching of client commands, and the rewriting of
 * recorded uuids into the client's Event-UUIDs with every Content-Length fixed up.
 */
import { readTranscript } from '../helpers/fixtures.js';
import { CommandReader, type ReceivedCommand } from './command-reader.js';

export type { ReceivedCommand };

export interface RecordedStep {
  readonly expect: ReceivedCommand;
  /** Each frame FreeSWITCH sent after that command, whole, in order. */
  readonly frames: readonly Buffer[];
}

/** Steps of `esl-outbound/<stem>` (its .txt timeline and .esl bytes). */
export function loadOutboundRecording(stem: string): RecordedStep[] {
  const steps: { expect: ReceivedCommand; frames: Buffer[] }[] = [];
  for (const chunk of readTranscript(`esl-outbound/${stem}.txt`)) {
    if (chunk.dir === 'C>S') {
      const parsed = new CommandReader().push(chunk.bytes);
      if (parsed.length !== 1 || parsed[0] === undefined) throw new Error(`${stem}: a C>S chunk must hold exactly one command`);
      steps.push({ expect: parsed[0], frames: [] });
    } else if (chunk.dir === 'S>C') {
      const step = steps.at(-1);
      if (step === undefined) throw new Error(`${stem}: FreeSWITCH spoke before the client (outbound mode never does)`);
      step.frames.push(chunk.bytes);
    }
  }
  return steps;
}

/** A command's header, by name in any case (FreeSWITCH reads header names case-insensitively). */
export function header(command: ReceivedCommand, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(command.headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** Same command as recorded: same line, body and headers; only Event-UUID may be added or differ. */
export function sameCommand(expected: ReceivedCommand, got: ReceivedCommand): boolean {
  if (expected.line !== got.line || (expected.body ?? '') !== (got.body ?? '')) return false;
  const names = new Set([...Object.keys(expected.headers), ...Object.keys(got.headers)].map((n) => n.toLowerCase()));
  names.delete('event-uuid');
  for (const name of names) if (header(expected, name) !== header(got, name)) return false;
  return true;
}

export function describeCommand(command: ReceivedCommand): string {
  const headers = Object.entries(command.headers).map(([n, v]) => `${n}: ${v}`);
  return [command.line, ...headers].join(' | ');
}

/**
 * The uuid FreeSWITCH used for the application a recorded `sendmsg execute` started:
 * the recorded Event-UUID, else the Application-UUID of the step's CHANNEL_EXECUTE.
 */
export function recordedApplicationUuid(step: RecordedStep): string | undefined {
  const sent = header(step.expect, 'Event-UUID');
  if (sent !== undefined) return sent;
  if (header(step.expect, 'call-command') !== 'execute') return undefined;
  const app = header(step.expect, 'execute-app-name');
  for (const frame of step.frames) {
    const text = frame.toString('utf8');
    if (eventValue(text, 'Event-Name') === 'CHANNEL_EXECUTE' && eventValue(text, 'Application') === app) {
      return eventValue(text, 'Application-UUID');
    }
  }
  return undefined;
}

function eventValue(text: string, name: string): string | undefined {
  const plain = new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1];
  if (plain !== undefined) return decodeURIComponent(plain);
  return new RegExp(`"${name}":"([^"]*)"`).exec(text)?.[1];
}

/**
 * Replaces every recorded uuid (map key) by the client's (value) in one frame, encoded the
 * way the frame encodes values (plain: url-encoded, json: JSON string), and recomputes the
 * outer Content-Length and, for a plain event with a body, the inner one.
 */
export function substituteUuids(frame: Buffer, map: ReadonlyMap<string, string>): Buffer {
  if (map.size === 0) return frame;
  // latin1: one char per byte, so string lengths are byte lengths.
  const text = frame.toString('latin1');
  const headerEnd = text.indexOf('\n\n') + 2;
  const head = text.slice(0, headerEnd);
  if (headerEnd === 1 || !/^Content-Length: \d+$/m.test(head)) return Buffer.from(replaceAll(text, map, (s) => s), 'latin1');
  const type = /^Content-Type: (.*)$/m.exec(head)?.[1];
  const encode =
    type === 'text/event-plain' ? encodeURIComponent : type === 'text/event-json' ? (s: string) => JSON.stringify(s).slice(1, -1) : (s: string) => s;
  let body = replaceAll(text.slice(headerEnd), map, encode);
  if (type === 'text/event-plain') body = fixInnerLength(body);
  return Buffer.from(head.replace(/^Content-Length: \d+$/m, `Content-Length: ${body.length}`) + body, 'latin1');
}

function replaceAll(text: string, map: ReadonlyMap<string, string>, encode: (s: string) => string): string {
  let out = text;
  for (const [from, to] of map) out = out.split(latin1(encode(from))).join(latin1(encode(to)));
  return out;
}

function latin1(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

function fixInnerLength(body: string): string {
  const innerEnd = body.indexOf('\n\n') + 2;
  if (innerEnd === 1) return body;
  const innerHead = body.slice(0, innerEnd);
  if (!/^Content-Length: \d+$/m.test(innerHead)) return body;
  const innerBody = body.slice(innerEnd);
  return innerHead.replace(/^Content-Length: \d+$/m, `Content-Length: ${innerBody.length}`) + innerBody;
}
