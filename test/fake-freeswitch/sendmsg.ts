/**
 * `sendmsg` on the fake: `+OK` first, then (for `call-command: execute`) CHANNEL_EXECUTE,
 * the scripted application result, CHANNEL_EXECUTE_COMPLETE and a PRIVATE_COMMAND echo,
 * all carrying `Application-UUID` = the sent `Event-UUID` (esl-control observation 3).
 * `call-command: hangup` and the `hangup` application end the channel.
 */
import { randomUUID } from 'node:crypto';
import type { EventHeaders } from '../../src/esl/event.js';
import { channelHeaders, type FakeChannel } from './channels.js';
import type { ReceivedCommand } from './command-reader.js';
import type { Calling } from './dispatch.js';
import type { FakeConnection } from './fake-connection.js';
import { commandReply } from './serialise.js';

export interface ExecuteContext {
  readonly uuid: string;
  readonly app: string;
  readonly arg: string;
  readonly eventUuid: string;
  /** The channel (declared with addChannel, or the call the fake dialed). */
  readonly channel: FakeChannel;
}

export interface ExecuteResult {
  /** `Application-Response`; default `_none_` (`FILE PLAYED` for playback). */
  response?: string;
  /** Channel variables set before CHANNEL_EXECUTE_COMPLETE (e.g. `digits`, `read_result`). */
  variables?: Record<string, string>;
  /** How long the application "runs", ms. */
  delayMs?: number;
  /** Hang the channel up after the application with this cause. */
  hangup?: string;
  /**
   * Outbound mode: the application fails with this cause (`originate_disposition`); for
   * `bridge`, like mod_dptools, the caller is hung up with it (CHANNEL_HANGUP before the
   * bridge's CHANNEL_EXECUTE_COMPLETE) unless the channel's `continue_on_fail` lets it go on.
   */
  fails?: string;
  /** Outbound mode: the caller hangs up while the application runs (`true`: NORMAL_CLEARING, or this cause). */
  callerHangsUp?: boolean | string;
  /** Outbound mode: events fired exactly as given while the application runs (e.g. a bridge's B leg, recorded). */
  events?: readonly EventHeaders[];
  /** Outbound mode: events fired exactly as given right after the application's CHANNEL_EXECUTE_COMPLETE. */
  eventsAfter?: readonly EventHeaders[];
}

export type ExecuteHandler = (context: ExecuteContext) => ExecuteResult | void | Promise<ExecuteResult | void>;

export interface SendmsgHost {
  channel(uuid: string): FakeChannel | undefined;
  removeChannel(uuid: string): void;
  executeHandler(app: string): ExecuteHandler | undefined;
  build(headers: EventHeaders, calling: Calling): EventHeaders;
  fireRaw(headers: EventHeaders, body?: string): number;
}

const EXEC: Calling = ['switch_core_session.c', 'switch_core_session_exec', 2972];
const PRIVATE: Calling = ['switch_ivr.c', 'switch_ivr_parse_next_event', 804];
const HANGUP: Calling = ['switch_channel.c', 'switch_channel_perform_hangup', 1126];
const REPORT: Calling = ['switch_core_state_machine.c', 'switch_core_session_reporting_state', 1010];

function header(command: ReceivedCommand, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(command.headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

export function handleSendmsg(host: SendmsgHost, connection: FakeConnection, command: ReceivedCommand): void {
  const uuid = command.line.trim().split(/\s+/)[1] ?? header(command, 'Unique-ID') ?? '';
  const known = host.channel(uuid);
  // Recorded (esl-control): a uuid that is no live channel is refused.
  if (known === undefined) {
    connection.send(commandReply(`-ERR invalid session id [${uuid}]`), 'reply');
    return;
  }
  connection.send(commandReply('+OK'), 'reply');
  const channel = known;
  const callCommand = (header(command, 'call-command') ?? '').toLowerCase();
  if (callCommand === 'hangup') {
    hangupChannel(host, channel, header(command, 'hangup-cause') ?? 'NORMAL_CLEARING');
  } else if (callCommand === 'execute') {
    void runExecution(host, channel, command);
  }
}

async function runExecution(host: SendmsgHost, channel: FakeChannel, command: ReceivedCommand): Promise<void> {
  const app = header(command, 'execute-app-name') ?? '';
  const arg = header(command, 'execute-app-arg') ?? command.body ?? '';
  const eventUuid = header(command, 'Event-UUID') ?? randomUUID();
  const appHeaders = (): EventHeaders => ({ Application: app, 'Application-Data': arg });
  const fire = (name: string, extra: EventHeaders, calling = EXEC, cause?: string): number =>
    host.fireRaw(host.build({ 'Event-Name': name, ...channelHeaders(channel, cause), ...extra }, calling));
  channel.variables.set('current_application', app);
  channel.variables.set('current_application_data', arg);
  fire('CHANNEL_EXECUTE', { ...appHeaders(), 'Application-UUID': eventUuid });
  let result: ExecuteResult = {};
  try {
    result = (await host.executeHandler(app)?.({ uuid: channel.uuid, app, arg, eventUuid, channel })) ?? {};
  } catch (error) {
    result = { response: `-ERR ${error instanceof Error ? error.message : String(error)}` };
  }
  if (result.delayMs !== undefined && result.delayMs > 0) {
    // unref: a long-running fake application must not keep a finished test process alive
    await new Promise((r) => setTimeout(r, result.delayMs).unref());
  }
  for (const [name, value] of Object.entries(result.variables ?? {})) channel.variables.set(name, value);
  const hangupCause = app === 'hangup' ? arg.trim() || 'NORMAL_CLEARING' : result.hangup;
  if (app === 'hangup') fire('CHANNEL_HANGUP', {}, HANGUP, hangupCause);
  const response = result.response ?? (app === 'playback' ? 'FILE PLAYED' : '_none_');
  fire('CHANNEL_EXECUTE_COMPLETE', { ...appHeaders(), 'Application-Response': response, 'Application-UUID': eventUuid }, EXEC, app === 'hangup' ? hangupCause : undefined);
  const echo: EventHeaders = { Command: `sendmsg ${channel.uuid}` };
  for (const name of ['call-command', 'execute-app-name', 'execute-app-arg', 'Event-UUID']) {
    const value = header(command, name);
    if (value !== undefined) echo[name] = value;
  }
  host.fireRaw({ ...echo, ...host.build({ 'Event-Name': 'PRIVATE_COMMAND', ...channelHeaders(channel) }, PRIVATE) });
  if (app === 'hangup') finishHangup(host, channel, hangupCause ?? 'NORMAL_CLEARING');
  else if (hangupCause !== undefined) hangupChannel(host, channel, hangupCause);
}

/** CHANNEL_HANGUP then CHANNEL_HANGUP_COMPLETE; the channel is gone afterwards. */
export function hangupChannel(host: SendmsgHost, channel: FakeChannel, cause: string): void {
  host.fireRaw(host.build({ 'Event-Name': 'CHANNEL_HANGUP', ...channelHeaders(channel, cause) }, HANGUP));
  finishHangup(host, channel, cause);
}

function finishHangup(host: SendmsgHost, channel: FakeChannel, cause: string): void {
  channel.variables.set('hangup_cause', cause);
  host.fireRaw(host.build({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE', ...channelHeaders(channel, cause) }, REPORT));
  host.removeChannel(channel.uuid);
}
