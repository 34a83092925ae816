/**
 * The glue between one TCP socket and the ESL protocol: bytes go through the pure
 * decoder; replies (command/reply, api/response) are matched to a FIFO of pending
 * commands; BACKGROUND_JOB and CHANNEL_EXECUTE_COMPLETE events settle bgapi jobs and
 * sendmsg executions; everything else is handed on as events.
 *
 * FreeSWITCH answers the commands of one connection strictly in order, so a command
 * that timed out or was aborted keeps its place in the FIFO (its late reply is
 * dropped) and never shifts replies onto the wrong caller. When the socket closes,
 * every pending command, job and execution fails with ESL_DISCONNECTED. A bgapi job whose
 * BACKGROUND_JOB never comes expires (jobTimeoutMs, or the longest wait asked of it): its
 * waiters fail with ESL_TIMEOUT and it leaves the map of jobs.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { FreectiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { EslDecoder, type EslDecoderOptions } from './decoder.js';
import { bound, deferred, type Deferred } from './deferred.js';
import { encodeCommand, encodeExecute, encodeHangup, type ExecuteOptions } from './encoder.js';
import type { EslEvent } from './event.js';
import { isOkReply, type EslMessage, type FrameHeaders } from './messages.js';
import type { BackgroundJob, CommandOptions, CommandReply, EslCommander, ExecuteCommandOptions } from './types.js';

type ReplyMessage = Extract<EslMessage, { kind: 'command-reply' | 'api-response' }>;

interface PendingReply {
  readonly line: string;
  readonly sentAt: number;
  readonly timeoutMs: number;
  readonly reply: Deferred<ReplyMessage>;
  /** Runs synchronously when the reply arrives, before any later frame of the same read is handled. */
  readonly onReply: ((message: ReplyMessage) => void) | undefined;
}

export interface EslConnectionOptions {
  /** Reply timeout when a command gives none. */
  commandTimeoutMs: number;
  /**
   * How long a bgapi job is remembered when nobody waits longer: past it (or past the longest
   * `wait()` timeout, when longer) a job with no BACKGROUND_JOB fails with ESL_TIMEOUT and is
   * forgotten. Default 120 s.
   */
  jobTimeoutMs?: number;
  logger?: Logger;
  decoder?: EslDecoderOptions;
}

export interface EslConnectionEvents {
  event: [event: EslEvent];
  'auth-request': [];
  'disconnect-notice': [headers: FrameHeaders, body: string];
  /** Any message, after the connection handled it (for recorders and tests). */
  message: [message: EslMessage];
  close: [hadError: boolean];
}

export class EslConnection extends EventEmitter<EslConnectionEvents> implements EslCommander {
  private readonly decoder: EslDecoder;
  private readonly pending: PendingReply[] = [];
  private readonly jobs = new Map<string, Deferred<string>>();
  private readonly executions = new Map<string, Deferred<EslEvent>>();
  private closed = false;
  private lastError: Error | undefined;
  /** When bytes last arrived (ms since epoch): an idle connection may be probed. */
  lastReceivedAt = Date.now();

  constructor(
    readonly socket: Socket,
    private readonly options: EslConnectionOptions,
  ) {
    super();
    this.decoder = new EslDecoder(options.decoder);
    socket.setNoDelay(true);
    const emitMessage = (message: EslMessage): void => this.onMessage(message);
    socket.on('data', (chunk: Buffer) => {
      this.lastReceivedAt = Date.now();
      this.decoder.push(chunk, emitMessage);
    });
    socket.on('error', (error) => {
      this.lastError = error;
    });
    socket.on('close', (hadError) => this.onClose(hadError));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Commands sent and not yet answered (including timed-out ones still holding their place). */
  get inFlight(): number {
    return this.pending.length;
  }

  /** bgapi jobs still waiting for their BACKGROUND_JOB (each one expires). */
  get pendingJobs(): number {
    return this.jobs.size;
  }

  /** `sendmsg` executions still waiting for their CHANNEL_EXECUTE_COMPLETE. */
  get pendingExecutions(): number {
    return this.executions.size;
  }

  /** Age of the oldest unanswered command in ms (0 when none): a hung FreeSWITCH shows here. */
  oldestPendingMs(now = Date.now()): number {
    const head = this.pending[0];
    return head === undefined ? 0 : now - head.sentAt;
  }

  /**
   * True when a command has waited for its reply more than twice its timeout: FreeSWITCH
   * answers in order, so everything behind it is stuck too (hung peer).
   */
  overdue(now = Date.now()): boolean {
    return this.pending.some((entry) => now - entry.sentAt > 2 * entry.timeoutMs);
  }

  async command(line: string, headers: Readonly<Record<string, string>> = {}, options: CommandOptions = {}): Promise<CommandReply> {
    const reply = await this.send(encodeCommand(line, headers), line, options);
    if (reply.kind === 'api-response') return { replyText: reply.body, headers: reply.headers };
    return { replyText: reply.replyText, headers: reply.headers };
  }

  async api(command: string, args = '', options: CommandOptions = {}): Promise<string> {
    const line = args.length > 0 ? `api ${command} ${args}` : `api ${command}`;
    const reply = await this.send(encodeCommand(line), line, options);
    if (reply.kind === 'api-response') return reply.body;
    // FreeSWITCH answers an api with command/reply when it refuses it (e.g. before auth).
    throw new FreectiError('ESL_COMMAND_FAILED', `${command}: ${reply.replyText}`, { details: { reply: reply.replyText } });
  }

  async bgapi(command: string, args = '', options: CommandOptions & { jobUuid?: string } = {}): Promise<BackgroundJob> {
    const jobUuid = options.jobUuid ?? randomUUID();
    const line = args.length > 0 ? `bgapi ${command} ${args}` : `bgapi ${command}`;
    const job = deferred<string>();
    // Registered before sending: the BACKGROUND_JOB event can never be missed.
    this.jobs.set(jobUuid, job);
    job.promise.then(
      () => this.jobs.delete(jobUuid),
      () => this.jobs.delete(jobUuid),
    );
    // A job whose BACKGROUND_JOB never comes (FreeSWITCH lost it, or nobody waits for it)
    // must not stay in the map for the life of the connection: it expires.
    const jobTimeoutMs = this.options.jobTimeoutMs ?? 120_000;
    let knownAs = jobUuid;
    let expiresAt = 0;
    let expiry: NodeJS.Timeout | undefined;
    const expireIn = (ms: number): void => {
      const at = Date.now() + ms;
      if (job.settled || at <= expiresAt) return;
      expiresAt = at;
      clearTimeout(expiry);
      expiry = setTimeout(() => {
        job.reject(new FreectiError('ESL_TIMEOUT', `background job ${knownAs} (${command}): no BACKGROUND_JOB within ${ms} ms`, { details: { jobUuid: knownAs, command } }));
      }, ms);
      expiry.unref();
    };
    const stopExpiry = (): void => clearTimeout(expiry);
    job.promise.then(stopExpiry, stopExpiry);
    expireIn(jobTimeoutMs);
    // A peer that ignores our Job-UUID names the job in its reply; the BACKGROUND_JOB event
    // may follow in the same read, so the job is re-keyed before that event is decoded.
    const rekey = (message: ReplyMessage): void => {
      const accepted = message.headers['Job-UUID'];
      if (accepted === undefined || accepted === jobUuid || job.settled) return;
      this.jobs.delete(jobUuid);
      this.jobs.set(accepted, job);
      knownAs = accepted;
      job.promise.then(
        () => this.jobs.delete(accepted),
        () => this.jobs.delete(accepted),
      );
    };
    let reply: ReplyMessage;
    try {
      reply = await this.send(encodeCommand(line, { 'Job-UUID': jobUuid }), line, options, rekey);
    } catch (error) {
      job.reject(error);
      throw error;
    }
    const text = reply.kind === 'command-reply' ? reply.replyText : reply.body;
    if (!isOkReply(text)) {
      const error = new FreectiError('ESL_COMMAND_FAILED', `${command}: ${text}`, { details: { reply: text } });
      job.reject(error);
      throw error;
    }
    const acceptedUuid = reply.headers['Job-UUID'] ?? jobUuid;
    return {
      jobUuid: acceptedUuid,
      wait: (waitOptions: CommandOptions = {}) => {
        // A caller ready to wait longer keeps the job that long.
        expireIn(waitOptions.timeoutMs ?? jobTimeoutMs);
        const view = deferred<string>();
        job.promise.then(view.resolve, view.reject);
        bound(
          view,
          waitOptions.timeoutMs ?? jobTimeoutMs,
          waitOptions.signal,
          () => new FreectiError('ESL_TIMEOUT', `background job ${acceptedUuid} (${command}) did not finish in time`),
          () => new FreectiError('ESL_ABORTED', `waiting for background job ${acceptedUuid} aborted`),
        );
        return view.promise;
      },
    };
  }

  async execute(uuid: string, app: string, arg = '', options: ExecuteCommandOptions = {}): Promise<EslEvent> {
    const eventUuid = options.eventUuid ?? randomUUID();
    const done = deferred<EslEvent>();
    this.executions.set(eventUuid, done);
    done.promise.then(
      () => this.executions.delete(eventUuid),
      () => this.executions.delete(eventUuid),
    );
    const execOptions: ExecuteOptions = { eventUuid };
    if (options.eventLock !== undefined) execOptions.eventLock = options.eventLock;
    if (options.loops !== undefined) execOptions.loops = options.loops;
    try {
      const reply = await this.send(encodeExecute(uuid, app, arg, execOptions), `sendmsg ${uuid} execute ${app}`, options);
      const text = reply.kind === 'command-reply' ? reply.replyText : reply.body;
      if (!isOkReply(text)) throw new FreectiError('ESL_COMMAND_FAILED', `execute ${app} on ${uuid}: ${text}`, { details: { reply: text } });
    } catch (error) {
      done.reject(error);
      throw error;
    }
    bound(
      done,
      options.completionTimeoutMs,
      options.signal,
      () => new FreectiError('ESL_TIMEOUT', `${app} on ${uuid} did not complete in time`),
      () => new FreectiError('ESL_ABORTED', `${app} on ${uuid} aborted`),
    );
    return done.promise;
  }

  async hangup(uuid: string, cause = 'NORMAL_CLEARING', options: CommandOptions = {}): Promise<void> {
    const reply = await this.send(encodeHangup(uuid, cause), `sendmsg ${uuid} hangup`, options);
    const text = reply.kind === 'command-reply' ? reply.replyText : reply.body;
    if (!isOkReply(text)) throw new FreectiError('ESL_COMMAND_FAILED', `hangup ${uuid}: ${text}`, { details: { reply: text } });
  }

  /** Writes bytes that expect no reply (used by fakes/recorders; commands go through `send`). */
  write(text: string): void {
    if (!this.closed) this.socket.write(text);
  }

  /** Ends the connection; pending work fails with ESL_DISCONNECTED. */
  close(): void {
    if (this.closed) return;
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), 1000);
    timer.unref();
  }

  /** Tears the socket down at once (hung peer). */
  destroy(reason?: string): void {
    if (reason !== undefined) this.lastError = new Error(reason);
    this.socket.destroy();
  }

  private send(
    text: string,
    line: string,
    options: CommandOptions,
    onReply?: (message: ReplyMessage) => void,
  ): Promise<ReplyMessage> {
    if (this.closed) {
      return Promise.reject(new FreectiError('ESL_DISCONNECTED', `not connected: cannot send '${summarise(line)}'`));
    }
    if (options.signal?.aborted === true) {
      return Promise.reject(new FreectiError('ESL_ABORTED', `'${summarise(line)}' aborted before it was sent`));
    }
    const reply = deferred<ReplyMessage>();
    const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs;
    this.pending.push({ line, sentAt: Date.now(), timeoutMs, reply, onReply });
    bound(
      reply,
      timeoutMs,
      options.signal,
      () => new FreectiError('ESL_TIMEOUT', `no reply to '${summarise(line)}' within ${timeoutMs} ms`),
      () => new FreectiError('ESL_ABORTED', `'${summarise(line)}' aborted`),
    );
    this.socket.write(text);
    return reply.promise;
  }

  private onMessage(message: EslMessage): void {
    switch (message.kind) {
      case 'command-reply':
      case 'api-response': {
        const head = this.pending.shift();
        if (head === undefined) {
          // The outbound `connect` reply and the like are handled by whoever sent them.
          this.options.logger?.warn({ kind: message.kind }, 'ESL reply with no pending command: ignored');
        } else {
          if (!head.reply.settled) head.onReply?.(message);
          head.reply.resolve(message);
        }
        break;
      }
      case 'event':
        this.onEvent(message.event);
        break;
      case 'auth-request':
        this.safeEmit('auth-request');
        break;
      case 'disconnect-notice':
        this.safeEmit('disconnect-notice', message.headers, message.body);
        break;
      case 'garbage':
        this.options.logger?.warn({ reason: message.reason, bytes: message.bytes }, 'ESL stream: unreadable bytes skipped');
        break;
      case 'log':
      case 'rude-rejection':
      case 'unknown':
        break;
    }
    this.safeEmit('message', message);
  }

  private onEvent(event: EslEvent): void {
    const name = event.name;
    if (name === 'BACKGROUND_JOB') {
      const jobUuid = event.get('Job-UUID');
      if (jobUuid !== undefined) this.jobs.get(jobUuid)?.resolve(event.body ?? '');
    } else if (name === 'CHANNEL_EXECUTE_COMPLETE') {
      const applicationUuid = event.get('Application-UUID');
      if (applicationUuid !== undefined) this.executions.get(applicationUuid)?.resolve(event);
    }
    this.safeEmit('event', event);
  }

  /** A throwing listener must not break the decoding loop. */
  private safeEmit<K extends keyof EslConnectionEvents>(name: K, ...args: EslConnectionEvents[K]): void {
    try {
      (this.emit as (n: K, ...a: EslConnectionEvents[K]) => boolean)(name, ...args);
    } catch (error) {
      this.options.logger?.error({ err: error, listener: name }, 'ESL listener threw; continuing');
    }
  }

  private onClose(hadError: boolean): void {
    if (this.closed) return;
    this.closed = true;
    const why = this.lastError?.message ?? 'connection closed';
    for (const head of this.pending.splice(0)) {
      head.reply.reject(new FreectiError('ESL_DISCONNECTED', `'${summarise(head.line)}': ${why}`));
    }
    for (const [jobUuid, job] of this.jobs) {
      job.reject(new FreectiError('ESL_DISCONNECTED', `background job ${jobUuid}: ${why}`));
    }
    for (const [eventUuid, execution] of this.executions) {
      execution.reject(new FreectiError('ESL_DISCONNECTED', `execution ${eventUuid}: ${why}`));
    }
    this.decoder.reset();
    this.safeEmit('close', hadError);
  }
}

/** Command lines in logs and errors: never the auth password. */
function summarise(line: string): string {
  if (line.startsWith('auth ')) return 'auth ***';
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}
