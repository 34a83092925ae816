/**
 * Serialises commands sent to FreeSWITCH on an event socket. Pure: no socket.
 *
 * A command is one line, optional `Name: value` header lines, and a blank line; a
 * body, when present, follows with its `Content-Length`. A CR or LF inside a command
 * or header would let the caller smuggle extra ESL commands, so it is refused.
 */
import { FreectiError } from '../errors.js';

export type CommandHeaders = Readonly<Record<string, string>>;

function assertSingleLine(what: string, value: string): void {
  if (/[\r\n]/.test(value)) {
    throw new FreectiError('ESL_INVALID_COMMAND', `${what} must not contain a line break`);
  }
}

export function encodeCommand(command: string, headers: CommandHeaders = {}, body?: string): string {
  assertSingleLine('command', command);
  let out = `${command}\n`;
  for (const name of Object.keys(headers)) {
    const value = headers[name] ?? '';
    assertSingleLine(`header name '${name}'`, name);
    assertSingleLine(`header '${name}'`, value);
    if (name.includes(':') || name.length === 0) {
      throw new FreectiError('ESL_INVALID_COMMAND', `invalid header name '${name}'`);
    }
    out += `${name}: ${value}\n`;
  }
  if (body !== undefined && body.length > 0) {
    out += `Content-Length: ${Buffer.byteLength(body)}\n\n${body}`;
    return out;
  }
  return `${out}\n`;
}

export interface ExecuteOptions {
  /** Sent as Event-UUID; comes back as Application-UUID on CHANNEL_EXECUTE(_COMPLETE). */
  eventUuid?: string;
  /** Run the app synchronously relative to other queued apps (`event-lock: true`). */
  eventLock?: boolean;
  /** Repeat the app this many times. */
  loops?: number;
}

/** `sendmsg <uuid>` with `call-command: execute`. Long or multi-line args travel as the body. */
export function encodeExecute(uuid: string, app: string, arg: string, options: ExecuteOptions = {}): string {
  const command = sendmsgLine(uuid);
  const headers: Record<string, string> = { 'call-command': 'execute', 'execute-app-name': app };
  if (options.eventUuid !== undefined) headers['Event-UUID'] = options.eventUuid;
  if (options.eventLock === true) headers['event-lock'] = 'true';
  if (options.loops !== undefined) headers['loops'] = String(options.loops);
  if (arg.length > 0 && !/[\r\n]/.test(arg) && arg.length <= 2048) {
    headers['execute-app-arg'] = arg;
    return encodeCommand(command, headers);
  }
  if (arg.length === 0) return encodeCommand(command, headers);
  headers['content-type'] = 'text/plain';
  return encodeCommand(command, headers, arg);
}

/** `sendmsg <uuid>` with `call-command: hangup`. */
export function encodeHangup(uuid: string, cause = 'NORMAL_CLEARING'): string {
  return encodeCommand(sendmsgLine(uuid), { 'call-command': 'hangup', 'hangup-cause': cause });
}

/** `sendmsg <uuid>`; on an outbound socket the uuid may be empty (the socket's own channel). */
function sendmsgLine(uuid: string): string {
  if (/\s/.test(uuid)) throw new FreectiError('ESL_INVALID_COMMAND', 'uuid must not contain white space');
  return uuid.length > 0 ? `sendmsg ${uuid}` : 'sendmsg';
}
