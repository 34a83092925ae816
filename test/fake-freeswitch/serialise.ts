/**
 * Byte-exact serialisers of what FreeSWITCH writes on an inbound event socket, laid out
 * like the recordings (../fixtures/freeswitch/README.md observations 1-4, 7):
 * replies and api responses start with `Content-Type`; event frames start with
 * `Content-Length`; plain event bodies hold url-encoded `Name: value` lines, a body's
 * `Content-Length` last; JSON event bodies are one object, `Content-Length` + `_body` last.
 */
import type { EventHeaders } from '../../src/esl/event.js';
import { fsUrlEncode } from './fs-url-encode.js';

export type EventFormat = 'plain' | 'json';

export const DISCONNECT_BODY = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

export function authRequest(): string {
  return 'Content-Type: auth/request\n\n';
}

/** `command/reply`; extra headers (e.g. Job-UUID) follow Reply-Text, never encoded. */
export function commandReply(replyText: string, headers: Readonly<Record<string, string>> = {}): string {
  let out = `Content-Type: command/reply\nReply-Text: ${replyText}\n`;
  for (const [name, value] of Object.entries(headers)) out += `${name}: ${value}\n`;
  return `${out}\n`;
}

export function apiResponse(body: string): string {
  return `Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

export function disconnectNotice(): string {
  return `Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(DISCONNECT_BODY)}\n\n${DISCONNECT_BODY}`;
}

/** ARRAY::a|:b for multi-valued headers (plain form). */
function plainValue(value: string | readonly string[]): string {
  return typeof value === 'string' ? value : `ARRAY::${value.join('|:')}`;
}

export function plainEventBody(headers: EventHeaders, body?: string): string {
  let out = '';
  for (const [name, value] of Object.entries(headers)) out += `${name}: ${fsUrlEncode(plainValue(value))}\n`;
  if (body === undefined) return `${out}\n`;
  return `${out}Content-Length: ${Buffer.byteLength(body)}\n\n${body}`;
}

export function jsonEventBody(headers: EventHeaders, body?: string): string {
  const object: Record<string, string | readonly string[]> = { ...headers };
  if (body !== undefined) {
    object['Content-Length'] = String(Buffer.byteLength(body));
    object['_body'] = body;
  }
  return JSON.stringify(object);
}

/** One complete event frame in the given format. */
export function eventFrame(format: EventFormat, headers: EventHeaders, body?: string): string {
  const inner = format === 'json' ? jsonEventBody(headers, body) : plainEventBody(headers, body);
  const type = format === 'json' ? 'text/event-json' : 'text/event-plain';
  return `Content-Length: ${Buffer.byteLength(inner)}\nContent-Type: ${type}\n\n${inner}`;
}
