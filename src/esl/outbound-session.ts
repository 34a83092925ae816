/**
 * One call controlled through an outbound event socket (the dialplan `socket`
 * application). Created by the outbound server once FreeSWITCH answered `connect`.
 *
 * Commands go through the EslConnection of the socket; `sendmsg` needs no uuid here
 * (it addresses the socket's own channel). The session ends exactly once, with a reason:
 * - FreeSWITCH's `text/disconnect-notice` (the channel hung up), then the linger: with
 *   `linger` FreeSWITCH sends the notice as soon as the channel is down, and the channel's
 *   remaining events (a running application's CHANNEL_EXECUTE_COMPLETE, the bridged legs'
 *   and the channel's own CHANNEL_HANGUP_COMPLETE) may come before OR after it (issue 9).
 *   So the session keeps reading after the notice and closes the socket once nothing is
 *   awaited any more: no execution waiting for its completion, no command waiting for its
 *   reply, the channel's CHANNEL_HANGUP_COMPLETE seen and every leg bridged to it
 *   (`Other-Leg-Unique-ID` = this channel) seen hanging up completely; or when `lingerMs`
 *   (config `eslOutbound.lingerMs`, default 5 s) has passed since the notice, whatever
 *   is still missing. The notice itself says nothing about how the call ended.
 * - the socket closed without a notice (FreeSWITCH died, network);
 * - `close()`, or the server shutting down.
 * Commands still waiting when the socket closes fail with ESL_DISCONNECTED, before 'end'.
 * After the notice new commands are refused (ESL_DISCONNECTED): the channel is gone.
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

/** How long a session keeps reading after the disconnect-notice at most (config `eslOutbound.lingerMs`). */
export const DEFAULT_LINGER_MS = 5000;

export interface OutboundSessionOptions {
  /** Longest wait after the disconnect-notice for the channel's remaining events; default DEFAULT_LINGER_MS. */
  lingerMs?: number;
}

export interface OutboundSessionEvents {
  /** Every event received on this socket (with `myevents`: this channel's events). */
  event: [event: EslEvent];
  /** FreeSWITCH's disconnect-notice: the channel is down; its last events may still follow. */
  'disconnect-notice': [headers: FrameHeaders];
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
  private readonly lingerMs: number;
  private lingerTimer: NodeJS.Timeout | undefined;
  private settleQueued = false;
  private noticeAt = 0;
  /** The channel's own CHANNEL_HANGUP_COMPLETE was received. */
  private channelComplete = false;
  /** The channel's CHANNEL_HANGUP was received. */
  private channelHungUp = false;
  /** Legs bridged to this channel that have not sent their CHANNEL_HANGUP_COMPLETE yet. */
  private readonly openLegs = new Set<string>();
  private readonly doneLegs = new Set<string>();
  private ending: SessionEndReason | undefined;
  private owner: string | undefined;
  private endReason: SessionEndReason | undefined;
  private readonly ended: Promise<SessionEndReason>;
  private resolveEnded!: (reason: SessionEndReason) => void;

  constructor(
    private readonly connection: EslConnection,
    connected: ConnectedChannel,
    private readonly logger: Logger,
    options: OutboundSessionOptions = {},
  ) {
    super();
    Object.assign(this, connected.channel);
    this.channelData = connected.channelData;
    this.lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    connection.on('event', (event) => {
      this.track(event);
      this.emit('event', event);
    });
    connection.on('disconnect-notice', (headers) => this.onDisconnectNotice(headers));
    // After the notice, every frame may be the last one awaited (a completion, a reply).
    connection.on('message', () => this.queueSettle());
    connection.on('close', () => this.onClose());
  }

  /**
   * True once the channel is down: FreeSWITCH sent the disconnect-notice or the channel's
   * CHANNEL_HANGUP, or the session ended. Its remaining events may still be arriving.
   */
  get hungUp(): boolean {
    return this.disconnectNotice !== undefined || this.channelHungUp || this.endReason !== undefined;
  }

  /** A channel variable from the connect reply (`variable_<name>`). */
  variable(name: string): string | undefined {
    return this.channelData.variable(name);
  }

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

  /** Why the session ended; undefined while it runs (and while it lingers after the notice). */
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

  /**
   * `linger [seconds]`: FreeSWITCH keeps the socket open after the hangup, sends the
   * disconnect-notice and the channel's last events (in either order, see the class doc).
   */
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
   * CHANNEL_HANGUP event and the session's 'end'. The completion may come after the
   * disconnect-notice (the session lingers for it). It rejects only when there is no
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
    clearTimeout(this.lingerTimer);
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

  /** Keeps track of the channel's and its bridged legs' hangups (what the linger waits for). */
  private track(event: EslEvent): void {
    const uuid = event.uuid;
    if (uuid === undefined) return;
    if (uuid === this.uuid) {
      if (event.name === 'CHANNEL_HANGUP') this.channelHungUp = true;
      if (event.name === 'CHANNEL_HANGUP_COMPLETE') this.channelHungUp = this.channelComplete = true;
      return;
    }
    if (event.get('Other-Leg-Unique-ID') !== this.uuid) return;
    if (event.name === 'CHANNEL_HANGUP_COMPLETE') {
      this.openLegs.delete(uuid);
      this.doneLegs.add(uuid);
    } else if (!this.doneLegs.has(uuid)) this.openLegs.add(uuid);
  }

  private onDisconnectNotice(headers: FrameHeaders): void {
    if (this.disconnectNotice !== undefined) return;
    this.disconnectNotice = headers;
    this.noticeAt = Date.now();
    this.ending ??= 'disconnect-notice';
    this.logger.debug(
      { disposition: headers['Content-Disposition'], lingerTime: headers['Linger-Time'], awaiting: this.awaiting() },
      'outbound session: disconnect-notice received; reading the channel\'s last events',
    );
    try {
      this.emit('disconnect-notice', headers);
    } catch (error) {
      this.logger.error({ err: error }, "outbound session 'disconnect-notice' listener threw");
    }
    if (this.endReason !== undefined) return;
    this.lingerTimer = setTimeout(() => {
      this.logger.info({ lingerMs: this.lingerMs, awaiting: this.awaiting() }, 'outbound session: linger time over after the disconnect-notice; closing the socket');
      this.connection.close();
    }, this.lingerMs);
    this.lingerTimer.unref();
    this.queueSettle();
  }

  /** What the session still waits for after the notice (empty: it can close). */
  private awaiting(): string[] {
    const missing: string[] = [];
    if (this.connection.pendingExecutions > 0) missing.push(`${this.connection.pendingExecutions} execution(s)`);
    if (this.connection.inFlight > 0) missing.push(`${this.connection.inFlight} reply(ies)`);
    if (!this.channelComplete) missing.push('CHANNEL_HANGUP_COMPLETE');
    if (this.openLegs.size > 0) missing.push(`${this.openLegs.size} bridged leg(s) CHANNEL_HANGUP_COMPLETE`);
    return missing;
  }

  /**
   * After the notice: closes the socket once nothing is awaited. Checked after the frame's
   * promise reactions ran (an execution leaves the pending set once its completion settled).
   */
  private queueSettle(): void {
    if (this.disconnectNotice === undefined || this.endReason !== undefined || this.settleQueued) return;
    this.settleQueued = true;
    setImmediate(() => {
      this.settleQueued = false;
      if (this.endReason !== undefined || !this.connection.isOpen) return;
      if (this.awaiting().length > 0) return;
      clearTimeout(this.lingerTimer);
      const lingeredMs = Date.now() - this.noticeAt;
      this.logger.debug({ lingeredMs }, "outbound session: the channel's last events are in; closing the socket");
      this.connection.close();
    });
  }

  private onClose(): void {
    if (this.endReason !== undefined) return;
    clearTimeout(this.lingerTimer);
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
