/**
 * Outbound mode of the fake FreeSWITCH: one call handed to an outbound event socket, the way
 * the dialplan `socket <host>:<port> async full` application does it. The fake connects to
 * the client's server and then behaves as recorded in ../fixtures/freeswitch/esl-outbound/
 * (README observations 9-12; `test/esl/contract.test.ts` replays those recordings):
 *
 * - nothing is written until the client speaks; `connect` is answered with the channel data
 *   (the recorded CHANNEL_DATA header block of a real call, with this call's uuid, the fake's
 *   Core-UUID and hostname, and the test's `variable_*`), then `Content-Type: command/reply`,
 *   `Reply-Text: %2BOK%0A`, `Socket-Mode: async`, `Control: full`, no Content-Length;
 * - `myevents [plain|json]` → `+OK Events Enabled` (every event of this channel);
 *   `linger [s]` → `+OK will linger`; `nolinger` → `+OK will not linger`;
 *   `resume` → `+OK` (recorded in esl-acd; `resumed` is set);
 * - `sendmsg [uuid]` (this channel when no uuid): `+OK`, then the application runs
 *   (applications queue, one after the other): CHANNEL_EXECUTE, for `answer` of a ringing
 *   channel CHANNEL_PROGRESS_MEDIA and CHANNEL_ANSWER, the scripted result (`onExecute`),
 *   CHANNEL_EXECUTE_COMPLETE (`Application-UUID` = the sent Event-UUID or a fresh one).
 *   No PRIVATE_COMMAND (not on an outbound socket, as recorded). `call-command: hangup`, the
 *   `hangup` application, a handler's `hangup` or `call.hangup()` (the caller) end the call:
 *   CHANNEL_HANGUP, the running application's CHANNEL_EXECUTE_COMPLETE (`PLAYBACK ERROR` for
 *   playback), CHANNEL_UNPARK, CHANNEL_EXECUTE_COMPLETE of `socket`, CHANNEL_STATE CS_HANGUP,
 *   CHANNEL_STATE CS_REPORTING, CHANNEL_HANGUP_COMPLETE, then with linger the recorded
 *   disconnect-notice (socket left open: the client closes), without linger the
 *   `Content-Disposition: disconnect` notice and the close (mod_event_socket source; not
 *   recorded). `lingerOrder: 'notice-first'` sends the notice right after CHANNEL_HANGUP
 *   and the rest in later writes (issue 9 recordings). A sendmsg after the end gets `+OK`.
 * - `event`, `filter`, `noevents`, `api`, `bgapi`, `exit` as on an inbound connection.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import type { EventHeaders } from '../../src/esl/event.js';
import { readEsl } from '../helpers/fixtures.js';
import { channelHeaders, createChannel, type FakeChannel } from './channels.js';
import type { ReceivedCommand } from './command-reader.js';
import type { Calling } from './dispatch.js';
import { FakeConnection, type ConnectionHost } from './fake-connection.js';
import { fsUrlEncode } from './fs-url-encode.js';
import { continuesOnFail, defaultLingerOrder, lingerNotice, type LingerOrder } from './linger.js';
import type { ExecuteHandler, ExecuteResult } from './sendmsg.js';
import { commandReply, DISCONNECT_BODY } from './serialise.js';

export interface DialOptions {
  /** Where the client's outbound server listens. Default 127.0.0.1. */
  host?: string;
  /** The channel's uuid. Default: a fresh one. */
  uuid?: string;
  /** Channel variables: in the connect reply (`variable_<name>`, replacing a recorded one) and in every event. */
  variables?: Readonly<Record<string, string>>;
  /** Where the channel's last events go relative to the linger disconnect-notice. Default defaultLingerOrder(). */
  lingerOrder?: LingerOrder;
  /** This call's applications (before the fake's `onExecute` handlers, which answer when this returns undefined). */
  onExecute?: ExecuteHandler;
  /** The number the caller dialed (Caller-Destination-Number). Default 7000. */
  destinationNumber?: string;
}

export interface OutboundHost extends ConnectionHost {
  readonly coreUuid: string;
  readonly hostnameShown: string;
  nextConnectionId(): number;
  adopt(connection: FakeConnection, channel: FakeChannel, call: OutboundCall): void;
  removeChannel(uuid: string): void;
  executeHandler(app: string): ExecuteHandler | undefined;
  build(headers: EventHeaders, calling: Calling): EventHeaders;
  fireRaw(headers: EventHeaders, body?: string): number;
}

export interface OutboundResult {
  /** Who closed the TCP connection: the client (freecti) or the fake (no linger, `exit`, `close()`). */
  readonly closedBy: 'client' | 'fake';
}

const EXEC: Calling = ['switch_core_session.c', 'switch_core_session_exec', 2972];
const HANGUP: Calling = ['switch_channel.c', 'switch_channel_perform_hangup', 1126];
const STATE: Calling = ['switch_core_state_machine.c', 'switch_core_session_run', 600];
const REPORT: Calling = ['switch_core_state_machine.c', 'switch_core_session_reporting_state', 1010];
const ANSWER: Calling = ['switch_channel.c', 'switch_channel_perform_mark_answered', 3842];
const MEDIA: Calling = ['switch_channel.c', 'switch_channel_perform_mark_pre_answered', 3585];
const UNPARK: Calling = ['switch_ivr.c', 'switch_ivr_park', 1073];

const RECORDING = 'esl-outbound/outbound-socket-answer-playback-hangup';
const RECORDED_UUID = 'a551af89-2dd9-4b8b-bc3b-bfb81f8ffbbe';
const RECORDED_CORE = '5bb67442-b879-4abb-a5e5-0b8a259f0d00';
const RECORDED_SOCKET = '127.0.0.1%3A8084';
let template: string | undefined;

/** The recorded connect reply (one header block, latin1 so one char is one byte). */
function connectTemplate(): string {
  if (template === undefined) {
    const bytes = readEsl(RECORDING);
    template = bytes.subarray(0, bytes.indexOf('\n\n') + 2).toString('latin1');
  }
  return template;
}

function header(command: ReceivedCommand, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(command.headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

function latin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

interface Running {
  readonly app: string;
  /** Ends the application now (the caller hung up). */
  readonly abort: () => void;
  /** Resolves once its CHANNEL_EXECUTE_COMPLETE was fired. */
  readonly done: Promise<void>;
}

/** One dialed call; create it with `FakeFreeSwitch.dial()`. */
export class OutboundCall {
  readonly uuid: string;
  readonly channel: FakeChannel;
  readonly connection: FakeConnection;
  /** Applications the client executed on this channel, in order. */
  readonly executed: { app: string; arg: string; eventUuid: string }[] = [];
  /** `sendmsg` hangup causes the client asked for. */
  readonly hangups: string[] = [];
  /** Resolves when the TCP connection has closed. */
  readonly closed: Promise<OutboundResult>;
  private readonly lingerOrder: LingerOrder;
  /** `resume` was sent: FreeSWITCH would go on with the dialplan after `socket` when the socket closes. */
  resumed = false;
  private readonly socketData: string;
  private lingering = false;
  private ended: string | undefined;
  private lastResponse = '_none_';
  private running: Running | undefined;
  private queue: Promise<void> = Promise.resolve();
  private closedByFake = false;

  constructor(
    private readonly host: OutboundHost,
    port: number,
    private readonly options: DialOptions = {},
  ) {
    const address = options.host ?? '127.0.0.1';
    this.uuid = options.uuid ?? randomUUID();
    this.lingerOrder = options.lingerOrder ?? defaultLingerOrder();
    this.socketData = `${address}:${port} async full`;
    this.channel = createChannel({
      uuid: this.uuid,
      name: 'sofia/internal/1000@127.0.0.1',
      callerIdNumber: '1000',
      destinationNumber: options.destinationNumber ?? '7000',
      answered: false,
      variables: { current_application: 'socket', current_application_data: this.socketData, ...(options.variables ?? {}) },
    });
    this.channel.state = { channel: 'CS_EXECUTE', call: 'RINGING', answer: 'ringing' };
    const socket = connect({ port, host: address });
    this.connection = new FakeConnection(host.nextConnectionId(), socket, host);
    this.connection.authenticated = true;
    this.connection.outbound = this;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve({ closedBy: this.closedByFake ? 'fake' : 'client' })));
    host.adopt(this.connection, this.channel, this);
  }

  /** Every command the client sent on this socket. */
  get commands(): readonly ReceivedCommand[] {
    return this.connection.received;
  }

  /** The cause the channel ended with (whoever ended it); undefined while it is up. */
  get hangupCause(): string | undefined {
    return this.ended;
  }

  /** The caller hangs up (a running application ends first, as recorded). */
  hangup(cause = 'NORMAL_CLEARING'): Promise<void> {
    return this.end(cause);
  }

  /** Closes the socket from FreeSWITCH's side. */
  close(): void {
    this.closedByFake = true;
    this.connection.socket.end();
  }

  /** Handles the outbound-only verbs; false: the common dispatcher answers. */
  command(command: ReceivedCommand): boolean {
    const [verb = '', ...words] = command.line.trim().split(/\s+/);
    const reply = (text: string): void => this.connection.send(commandReply(text), 'reply');
    switch (verb) {
      case 'connect':
        this.connection.send(this.connectReply(), 'reply');
        return true;
      case 'myevents': {
        const format = words[0] === 'json' ? 'json' : 'plain';
        this.connection.subscription.myEvents(this.uuid, format);
        reply('+OK Events Enabled');
        return true;
      }
      case 'linger':
        this.lingering = true;
        reply('+OK will linger');
        return true;
      case 'nolinger':
        this.lingering = false;
        reply('+OK will not linger');
        return true;
      case 'resume':
        // Recorded (esl-acd/outbound-queue-caller-*): `+OK`; the dialplan goes on after `socket` once the socket closes.
        this.resumed = true;
        reply('+OK');
        return true;
      case 'sendmsg': {
        const target = words[0] ?? header(command, 'Unique-ID');
        if (target !== undefined && target !== this.uuid) return false;
        reply('+OK');
        this.sendmsg(command);
        return true;
      }
      default:
        return false;
    }
  }

  private connectReply(): string {
    const values: Record<string, string> = {
      'Core-UUID': this.host.coreUuid,
      'FreeSWITCH-Hostname': this.host.hostnameShown,
      'FreeSWITCH-Switchname': this.host.hostnameShown,
    };
    const built = this.host.build({ 'Event-Name': 'CHANNEL_DATA' }, ['mod_event_socket.c', 'parse_command', 2029]);
    for (const name of ['Event-Date-Local', 'Event-Date-GMT', 'Event-Date-Timestamp', 'Event-Sequence']) values[name] = String(built[name]);
    if (this.options.destinationNumber !== undefined) {
      values['Caller-Destination-Number'] = this.options.destinationNumber;
      values['variable_destination_number'] = this.options.destinationNumber;
    }
    let text = connectTemplate().split(RECORDED_UUID).join(this.uuid).split(RECORDED_CORE).join(this.host.coreUuid);
    text = text.split(RECORDED_SOCKET).join(latin1(fsUrlEncode(this.socketData.split(' ')[0] ?? '')));
    for (const [name, value] of Object.entries(values)) text = text.replace(new RegExp(`^${name}: .*$`, 'm'), `${name}: ${latin1(fsUrlEncode(value))}`);
    let added = '';
    for (const [name, value] of Object.entries(this.options.variables ?? {})) {
      const line = `variable_${name}: ${latin1(fsUrlEncode(value))}`;
      const existing = new RegExp(`^variable_${name.replace(/[^\w]/g, '\\$&')}: .*$`, 'm');
      if (existing.test(text)) text = text.replace(existing, () => line);
      else added += `${line}\n`;
    }
    return text.replace('Content-Type: command/reply\n', `${added}Content-Type: command/reply\n`);
  }

  private fire(name: string, extra: EventHeaders, calling: Calling): void {
    this.host.fireRaw(this.host.build({ 'Event-Name': name, ...channelHeaders(this.channel, this.ended), ...extra }, calling));
  }

  private setState(channel: string, call: string, answer: string): void {
    this.channel.state = { channel, call, answer };
  }

  /** A `sendmsg` to this channel (its `+OK` already sent), from its socket or another connection. */
  sendmsg(command: ReceivedCommand): void {
    if (this.ended !== undefined) return; // recorded: +OK, nothing else
    const callCommand = (header(command, 'call-command') ?? '').toLowerCase();
    if (callCommand === 'hangup') {
      const cause = header(command, 'hangup-cause') ?? 'NORMAL_CLEARING';
      this.hangups.push(cause);
      void this.end(cause);
    } else if (callCommand === 'execute') {
      const app = header(command, 'execute-app-name') ?? '';
      const arg = header(command, 'execute-app-arg') ?? command.body ?? '';
      const eventUuid = header(command, 'Event-UUID') ?? randomUUID();
      this.executed.push({ app, arg, eventUuid });
      this.queue = this.queue.then(() => this.execute(app, arg, eventUuid)).catch(() => undefined);
    }
  }

  private async execute(app: string, arg: string, eventUuid: string): Promise<void> {
    if (this.ended !== undefined) return;
    const appHeaders: EventHeaders = arg === '' ? { Application: app } : { Application: app, 'Application-Data': arg };
    this.channel.variables.set('current_application', app);
    if (arg !== '') this.channel.variables.set('current_application_data', arg);
    this.fire('CHANNEL_EXECUTE', { ...appHeaders, 'Application-UUID': eventUuid }, EXEC);
    if (app === 'hangup') {
      await this.end(arg.trim() || 'NORMAL_CLEARING', { app, headers: { ...appHeaders, 'Application-UUID': eventUuid } });
      return;
    }
    if (app === 'answer' && !this.channel.answered) this.answer();
    let aborted = false;
    let abort!: () => void;
    const stop = new Promise<void>((resolve) => {
      abort = () => {
        aborted = true;
        resolve();
      };
    });
    let finished!: () => void;
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    this.running = { app, abort, done };
    let result: ExecuteResult = {};
    try {
      const context = { uuid: this.uuid, app, arg, eventUuid, channel: this.channel };
      const own = await this.options.onExecute?.(context);
      const handler = this.host.executeHandler(app);
      result = own ?? (await Promise.race([Promise.resolve(handler?.(context)), stop])) ?? {};
      if (!aborted && result.delayMs !== undefined && result.delayMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([stop, new Promise<void>((resolve) => (timer = setTimeout(resolve, result.delayMs)))]);
        clearTimeout(timer);
      }
    } catch (error) {
      result = { response: `-ERR ${error instanceof Error ? error.message : String(error)}` };
    }
    if (!aborted) {
      this.applyVariables(app, arg, result);
      for (const headers of result.events ?? []) this.host.fireRaw(headers);
    }
    // The caller goes down while the application runs: CHANNEL_HANGUP first, the completion after it.
    const callerCause = result.callerHangsUp === true ? 'NORMAL_CLEARING' : typeof result.callerHangsUp === 'string' ? result.callerHangsUp : undefined;
    const dropCause = aborted ? undefined : (callerCause ?? this.dropsCaller(app, result.fails));
    if (dropCause !== undefined) {
      void this.end(dropCause);
      await stop;
    }
    this.running = undefined;
    const response = aborted && app === 'playback' ? 'PLAYBACK ERROR' : (result.response ?? (app === 'playback' ? 'FILE PLAYED' : '_none_'));
    this.lastResponse = response;
    this.channel.variables.set('current_application_response', response);
    this.fire('CHANNEL_EXECUTE_COMPLETE', { ...appHeaders, 'Application-Response': response, 'Application-UUID': eventUuid }, EXEC);
    for (const headers of result.eventsAfter ?? []) this.host.fireRaw(headers);
    finished();
    if (!aborted && result.hangup !== undefined) await this.end(result.hangup);
  }

  /** What an application leaves in the channel: `set`/`unset`, the handler's variables, a failure's disposition. */
  private applyVariables(app: string, arg: string, result: ExecuteResult): void {
    const assignment = /^([^=\s]+)=(.*)$/s.exec(arg);
    if (app === 'set' && assignment !== null) this.channel.variables.set(assignment[1] ?? '', assignment[2] ?? '');
    if (app === 'unset') this.channel.variables.delete(arg.trim());
    if (result.fails !== undefined) this.channel.variables.set('originate_disposition', result.fails);
    else if (app === 'bridge') this.channel.variables.set('originate_disposition', 'SUCCESS');
    // The handler's variables last: they may name the bridge's own disposition (e.g. ORIGINATOR_CANCEL).
    for (const [name, value] of Object.entries(result.variables ?? {})) this.channel.variables.set(name, value);
  }

  /** mod_dptools: a failed `bridge` hangs the caller up with its cause unless continue_on_fail says go on. */
  private dropsCaller(app: string, cause: string | undefined): string | undefined {
    if (app !== 'bridge' || cause === undefined) return undefined;
    return continuesOnFail(this.channel.variables.get('continue_on_fail'), cause) ? undefined : cause;
  }

  /** `answer` on a ringing channel: early media, then answered (states as recorded). */
  private answer(): void {
    this.setState('CS_EXECUTE', 'RINGING', 'early');
    this.fire('CHANNEL_PROGRESS_MEDIA', {}, MEDIA);
    this.setState('CS_EXECUTE', 'EARLY', 'answered');
    this.channel.answered = true;
    this.fire('CHANNEL_ANSWER', {}, ANSWER);
    this.setState('CS_EXECUTE', 'ACTIVE', 'answered');
  }

  /** The channel goes down with `cause` (recorded order, observation 12). */
  private async end(cause: string, hangupApp?: { app: string; headers: EventHeaders }): Promise<void> {
    if (this.ended !== undefined) return;
    const call = this.channel.state?.call ?? 'ACTIVE';
    this.ended = cause;
    this.channel.variables.set('hangup_cause', cause);
    this.setState('CS_EXECUTE', call, 'hangup');
    this.fire('CHANNEL_HANGUP', {}, HANGUP);
    const notice = this.lingering
      ? lingerNotice(this.uuid, this.channel.name)
      : `Content-Type: text/disconnect-notice\nControlled-Session-UUID: ${this.uuid}\nContent-Disposition: disconnect\nContent-Length: ${Buffer.byteLength(DISCONNECT_BODY)}\n\n${DISCONNECT_BODY}`;
    const noticeFirst = this.lingering && this.lingerOrder === 'notice-first';
    if (noticeFirst) {
      this.connection.send(notice, 'event');
      // FreeSWITCH's other threads: the rest comes in later writes.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (hangupApp !== undefined) {
      this.lastResponse = '_none_';
      this.fire('CHANNEL_EXECUTE_COMPLETE', { ...hangupApp.headers, 'Application-Response': '_none_' }, EXEC);
    }
    const running = this.running;
    if (running !== undefined) {
      running.abort();
      await running.done;
    }
    this.fire('CHANNEL_UNPARK', {}, UNPARK);
    this.fire('CHANNEL_EXECUTE_COMPLETE', { Application: 'socket', 'Application-Data': this.socketData, 'Application-Response': this.lastResponse, 'Application-UUID': randomUUID() }, EXEC);
    this.setState('CS_HANGUP', call, 'hangup');
    this.fire('CHANNEL_STATE', {}, STATE);
    this.setState('CS_REPORTING', 'HANGUP', 'hangup');
    this.fire('CHANNEL_STATE', {}, STATE);
    this.fire('CHANNEL_HANGUP_COMPLETE', {}, REPORT);
    this.host.removeChannel(this.uuid);
    if (noticeFirst) return;
    this.connection.send(notice, 'event');
    if (!this.lingering) {
      this.closedByFake = true;
      this.connection.endAfterWrites();
    }
  }
}
