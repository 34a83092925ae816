/**
 * One call controlled through an outbound event socket (the dialplan `socket`
 * application). Created by the outbound server once FreeSWITCH answered `connect`.
 *
 * Commands go through the EslConnection of the socket; `sendmsg` needs no uuid here
 * (it addresses the socket's own channel). The session ends exactly once, with a reason:
 * - FreeSWITCH's `text/disconnect-notice` (the channel hung up): it comes after the
 *   channel's last events, and with `linger` FreeSWITCH keeps the socket open until we
 *   close it (README observation 10), so we close it on the notice;
 * - the socket closed without a notice (FreeSWITCH died, network);
 * - `close()`, or the server shutting down.
 * Commands still waiting when the socket closes fail with ESL_DISCONNECTED, before 'end'.
 */
import { EventEmitter } from 'node:events';
import { FreectiError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EslConnection } from './connection.js';
import type { EslEvent } from './event.js';
import { isOkReply, type FrameHeaders } from './messages.js';
import type { CallDirection, OutboundChannel } from './outbound-channel.js';
import type { ConnectedChannel } from './outbound-handshake.js';
import type { BackgroundJob, CommandOptions, CommandReply, ExecuteCommandOptions } from './types.js';

export type SessionEndReason =
  /** FreeSWITCH sent its disconnect-notice (the channel hung up, or `exit`); we closed the socket. */
  | 'disconnect-notice'
  /** The socket closed without a notice: FreeSWITCH died or the network failed. */
  | 'peer-closed'
  /** `session.close()` by the application. */
  | 'closed'
  /** The outbound server is shutting down. */
  | 'server-closed';

export interface OutboundSessionEvents {
  /** Every event received on this socket (with `myevents`: this channel's events). */
  event: [event: EslEvent];
  /** Emitted once; every pending command has failed by then. */
  end: [reason: SessionEndReason];
}

export class OutboundSession extends EventEmitter<OutboundSessionEvents> implements OutboundChannel {
  // The channel's typed fields (see OutboundChannel), copied from the connect reply.
  declare readonly uuid: string;
  declare readonly channelName: string | undefined;
  declare readonly direction: CallDirection | undefined;
  declare readonly callerNumber: string | undefined;
  declare readonly callerName: string | undefined;
  declare readonly destinationNumber: string | undefined;
  declare readonly context: string | undefined;
  declare readonly channelState: string | undefined;
  declare readonly answerState: string | undefined;
  declare readonly socketMode: string | undefined;
  declare readonly control: string | undefined;
  /** The raw connect reply (Event-Name CHANNEL_DATA). */
  readonly channelData: EslEvent;
  readonly startedAt = Date.now();
  /** Headers of FreeSWITCH's disconnect-notice (Content-Disposition, Linger-Time), once received. */
  disconnectNotice: FrameHeaders | undefined;
  private ending: SessionEndReason | undefined;
  private owner: string | undefined;
  private endReason: SessionEndReason | undefined;
  private readonly ended: Promise<SessionEndReason>;
  private resolveEnded!: (reason: SessionEndReason) => void;

  constructor(
    private readonly connection: EslConnection,
    connected: ConnectedChannel,
    private readonly logger: Logger,
  ) {
    super();
    Object.assign(this, connected.channel);
    this.channelData = connected.channelData;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    connection.on('event', (event) => this.emit('event', event));
    connection.on('disconnect-notice', (headers) => this.onDisconnectNotice(headers));
    connection.on('close', () => this.onClose());
  }

  /** A channel variable from the connect reply (`variable_<name>`). */
  variable(name: string): string | undefined {
    return this.channelData.variable(name);
  }

  /** Why the session ended; undefined while it runs. */
  /** The feature that took this session (see `claim`), if any. */
  get claimedBy(): string | undefined {
    return this.owner;
  }

  /**
   * A 'session' listener that handles this call claims it synchronously; the server
   * closes a session nobody claimed, so an unknown call is never held open. Returns
   * false when another feature claimed it first.
   */
  claim(owner: string): boolean {
    if (this.owner !== undefined) return false;
    this.owner = owner;
    return true;
  }

  get endedBy(): SessionEndReason | undefined {
    return this.endReason;
  }

  /** Resolves with the reason once the session has ended (never rejects). */
  whenEnded(): Promise<SessionEndReason> {
    return this.ended;
  }

  /** `myevents` (plain) or `myevents json`: this channel's events on this socket. Needed for `execute`. */
  async myevents(format: 'plain' | 'json' = 'plain', options: CommandOptions = {}): Promise<void> {
    await this.expectOk(format === 'json' ? 'myevents json' : 'myevents', options);
  }

  /** `linger [seconds]`: FreeSWITCH keeps sending the last events after hangup, then the notice. */
  async linger(seconds?: number, options: CommandOptions = {}): Promise<void> {
    if (seconds !== undefined && !(Number.isInteger(seconds) && seconds > 0)) {
      throw new FreectiError('ESL_INVALID_COMMAND', `linger seconds must be a positive integer, got ${seconds}`);
    }
    await this.expectOk(seconds === undefined ? 'linger' : `linger ${seconds}`, options);
  }

  /**
   * Runs a dialplan application on the channel (`sendmsg` execute) and resolves with its
   * CHANNEL_EXECUTE_COMPLETE (needs `myevents`). Decision: an application that ran and
   * finished resolves even when it failed, e.g. a playback cut by the caller's hangup
   * completes with `Application-Response: PLAYBACK ERROR` (recorded, observation 12):
   * FreeSWITCH reports the outcome in that header and the hangup arrives as its own
   * CHANNEL_HANGUP event and the session's 'end'. It rejects only when there is no
   * completion: `-ERR` reply (ESL_COMMAND_FAILED), socket lost (ESL_DISCONNECTED),
   * options.completionTimeoutMs / timeoutMs (ESL_TIMEOUT), options.signal (ESL_ABORTED).
   */
  async execute(app: string, arg = '', options: ExecuteCommandOptions = {}): Promise<EslEvent> {
    this.assertRunning(`execute ${app}`);
    return this.connection.execute('', app, arg, options);
  }

  /**
   * `sendmsg` hangup of the channel. Resolves at once without sending when FreeSWITCH has
   * already said the channel is gone (the disconnect-notice arrived): the goal is met.
   */
  async hangup(cause = 'NORMAL_CLEARING', options: CommandOptions = {}): Promise<void> {
    if (this.disconnectNotice !== undefined) return;
    this.assertRunning('hangup');
    await this.connection.hangup('', cause, options);
  }

  async api(command: string, args = '', options: CommandOptions = {}): Promise<string> {
    this.assertRunning(`api ${command}`);
    return this.connection.api(command, args, options);
  }

  async bgapi(command: string, args = '', options: CommandOptions & { jobUuid?: string } = {}): Promise<BackgroundJob> {
    this.assertRunning(`bgapi ${command}`);
    return this.connection.bgapi(command, args, options);
  }

  /** Any other command line (`event`, `filter`, `nixevent`, `sendmsg` with custom headers...). */
  async command(line: string, headers: Readonly<Record<string, string>> = {}, options: CommandOptions = {}): Promise<CommandReply> {
    this.assertRunning(line.split(' ', 1)[0] ?? line);
    return this.connection.command(line, headers, options);
  }

  /** Ends the session: closes the socket (FreeSWITCH then continues or ends the call per its dialplan). */
  close(reason: 'closed' | 'server-closed' = 'closed'): Promise<SessionEndReason> {
    this.ending ??= reason;
    this.connection.close();
    return this.ended;
  }

  private async expectOk(line: string, options: CommandOptions): Promise<void> {
    const reply = await this.command(line, {}, options);
    if (!isOkReply(reply.replyText)) {
      throw new FreectiError('ESL_COMMAND_FAILED', `${line}: ${reply.replyText}`, { details: { reply: reply.replyText } });
    }
  }

  private assertRunning(what: string): void {
    if (this.ending !== undefined) {
      throw new FreectiError('ESL_DISCONNECTED', `${what}: session ${this.uuid} has ended (${this.ending})`);
    }
  }

  private onDisconnectNotice(headers: FrameHeaders): void {
    if (this.disconnectNotice !== undefined) return;
    this.disconnectNotice = headers;
    this.ending ??= 'disconnect-notice';
    this.logger.debug(
      { disposition: headers['Content-Disposition'], lingerTime: headers['Linger-Time'] },
      'outbound session: disconnect-notice received, closing the socket',
    );
    // The channel's remaining events came before the notice and are delivered; replies to
    // commands already sent can still arrive on the half-closed socket.
    this.connection.close();
  }

  private onClose(): void {
    if (this.endReason !== undefined) return;
    const reason = this.ending ?? 'peer-closed';
    this.ending = reason;
    this.endReason = reason;
    const log = { reason, durationMs: Date.now() - this.startedAt };
    if (reason === 'peer-closed') this.logger.warn(log, 'outbound session ended: socket closed without a disconnect-notice');
    else this.logger.info(log, 'outbound session ended');
    try {
      this.emit('end', reason);
    } catch (error) {
      this.logger.error({ err: error }, "outbound session 'end' listener threw");
    }
    this.resolveEnded(reason);
    this.removeAllListeners();
  }
}
