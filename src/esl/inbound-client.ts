/**
 * One FreeSWITCH node over an inbound event socket: connect, `auth`, subscribe, then
 * hand api/bgapi/execute/hangup/command to the current EslConnection. Survives
 * everything the network and FreeSWITCH can do: a lost socket fails what was in flight
 * with ESL_DISCONNECTED and reconnects with backoff + jitter, re-authenticates and
 * re-subscribes (events and filters are kept); commands issued meanwhile wait in a
 * queue; a hung FreeSWITCH (a command unanswered for twice its timeout, or a failed
 * idle heartbeat) is dropped and reconnected. The password is never logged.
 */
import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { FreectiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { CommandQueue } from './command-queue.js';
import { EslConnection } from './connection.js';
import type { EslEvent } from './event.js';
import { EventSubscription } from './event-subscription.js';
import { Liveness } from './liveness.js';
import { isOkReply } from './messages.js';
import type {
  BackgroundJob,
  CommandOptions,
  CommandReply,
  EslClientEvents,
  ExecuteCommandOptions,
  FsNode,
  NodeState,
  NodeStatus,
} from './types.js';

export interface InboundClientOptions {
  name: string;
  host: string;
  port: number;
  password: string;
  eventFormat: 'plain' | 'json';
  commandTimeoutMs: number;
  /** TCP connect + auth + subscribe must finish within this. */
  connectTimeoutMs: number;
  reconnect: BackoffOptions;
  /** Probe (`api status`) a connection silent for this long; 0 or absent: no probe. */
  heartbeatIntervalMs?: number;
  logger: Logger;
  /** Random source for the backoff jitter (tests). */
  random?: () => number;
}

export function createInboundClient(options: InboundClientOptions): InboundClient {
  return new InboundClient(options);
}

export class InboundClient extends EventEmitter<EslClientEvents> implements FsNode {
  readonly name: string;
  private state: NodeState = 'connecting';
  private since = Date.now();
  private lastError: string | undefined;
  private reconnects = 0;
  private connection: EslConnection | undefined;
  private readonly queue = new CommandQueue();
  private readonly subscription = new EventSubscription();
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly liveness: Liveness;

  constructor(private readonly options: InboundClientOptions) {
    super();
    this.name = options.name;
    this.backoff = new Backoff(options.reconnect, options.random);
    this.log = options.logger.child({ node: options.name, host: options.host, port: options.port });
    this.liveness = new Liveness({
      commandTimeoutMs: options.commandTimeoutMs,
      ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      onDead: (connection, reason) => {
        if (this.connection === connection) this.drop(connection, reason);
      },
    });
    this.open();
  }

  get status(): NodeStatus {
    return {
      name: this.name,
      host: this.options.host,
      port: this.options.port,
      state: this.state,
      lastError: this.lastError,
      since: this.since,
      reconnects: this.reconnects,
      inFlight: this.connection?.inFlight ?? 0,
    };
  }

  /** Resolves once ready (at once when ready now); rejects on timeout or close. */
  whenReady(timeoutMs = this.options.connectTimeoutMs): Promise<void> {
    if (this.state === 'ready') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new FreectiError('ESL_CLOSED', `${this.name}: client closed`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new FreectiError('ESL_NOT_CONNECTED', `${this.name}: not ready after ${timeoutMs} ms (${this.state}: ${this.lastError ?? 'no error'})`)), timeoutMs);
      const onState = (state: NodeState): void => {
        if (state === 'ready') done();
        else if (state === 'closed') done(new FreectiError('ESL_CLOSED', `${this.name}: client closed`));
      };
      const done = (error?: Error): void => {
        clearTimeout(timer);
        this.off('state', onState);
        if (error === undefined) resolve();
        else reject(error);
      };
      this.on('state', onState);
    });
  }

  api(command: string, args = '', options: CommandOptions = {}): Promise<string> {
    return this.run(`api ${command}`, options, (c, o) => c.api(command, args, o));
  }

  bgapi(command: string, args = '', options: CommandOptions & { jobUuid?: string } = {}): Promise<BackgroundJob> {
    return this.run(`bgapi ${command}`, options, (c, o) => c.bgapi(command, args, o));
  }

  execute(uuid: string, app: string, arg = '', options: ExecuteCommandOptions = {}): Promise<EslEvent> {
    return this.run(`execute ${app}`, options, (c, o) => c.execute(uuid, app, arg, o));
  }

  hangup(uuid: string, cause = 'NORMAL_CLEARING', options: CommandOptions = {}): Promise<void> {
    return this.run(`hangup ${uuid}`, options, (c, o) => c.hangup(uuid, cause, o));
  }

  command(line: string, headers: Readonly<Record<string, string>> = {}, options: CommandOptions = {}): Promise<CommandReply> {
    const verb = line.split(' ')[0] ?? '';
    return this.run(verb, options, (c, o) => c.command(line, headers, o));
  }

  async subscribe(events: readonly string[]): Promise<void> {
    const delta = this.subscription.add(events);
    if (delta.names.length === 0 && delta.subclasses.length === 0) return;
    const connection = this.connection;
    if (this.state !== 'ready' || connection === undefined) return; // sent on the next ready
    await this.expectOk(connection.command(this.subscription.eventCommand(this.options.eventFormat, delta)));
  }

  async addFilter(header: string, value: string): Promise<void> {
    const lines = this.subscription.addFilter(header, value);
    const connection = this.connection;
    if (this.state !== 'ready' || connection === undefined) return;
    for (const line of lines) await this.expectOk(connection.command(line));
  }

  /** Stops for good: queued commands fail with ESL_CLOSED, the socket is closed, no reconnect. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('closed');
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.liveness.stop();
    this.queue.failAll(() => new FreectiError('ESL_CLOSED', `${this.name}: client closed`));
    const connection = this.connection;
    if (connection === undefined || !connection.isOpen) return;
    await new Promise<void>((resolve) => {
      connection.once('close', () => resolve());
      connection.close();
    });
  }

  private run<T, O extends CommandOptions>(label: string, options: O, fn: (c: EslConnection, o: O) => Promise<T>): Promise<T> {
    if (this.state === 'closed') return Promise.reject(new FreectiError('ESL_CLOSED', `${this.name}: client closed, cannot send '${label}'`));
    if (this.state === 'auth-failed') {
      return Promise.reject(new FreectiError('ESL_AUTH_FAILED', `${this.name}: ${this.lastError ?? 'authentication failed'}`));
    }
    const connection = this.connection;
    if (this.state === 'ready' && connection !== undefined) return fn(connection, options);
    if (options.signal?.aborted === true) return Promise.reject(new FreectiError('ESL_ABORTED', `'${label}' aborted before it was sent`));
    return this.queue.enqueue(label, options, this.options.commandTimeoutMs, fn);
  }

  private async expectOk(reply: Promise<CommandReply>): Promise<void> {
    const { replyText } = await reply;
    if (!isOkReply(replyText)) throw new FreectiError('ESL_COMMAND_FAILED', `${this.name}: ${replyText}`, { details: { reply: replyText } });
  }

  // ---- connection life cycle ---------------------------------------------------

  private open(): void {
    if (this.state === 'closed') return;
    this.setState('connecting');
    const socket = connect({ host: this.options.host, port: this.options.port });
    socket.setKeepAlive(true, 15_000);
    const connection = new EslConnection(socket, { commandTimeoutMs: this.options.commandTimeoutMs, logger: this.log });
    this.connection = connection;
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.lastError = error.code !== undefined ? `${error.code}: ${error.message}` : error.message;
    });
    this.later(this.options.connectTimeoutMs, () => {
      if (this.connection === connection && this.state !== 'ready') {
        this.drop(connection, `not ready within ${this.options.connectTimeoutMs} ms (stuck in '${this.state}')`);
      }
    });
    connection.on('auth-request', () => void this.handshake(connection));
    connection.on('event', (event) => this.safeEmit('event', event));
    connection.on('disconnect-notice', (_headers, body) => {
      this.log.info({ notice: body.split('\n')[0] }, 'FreeSWITCH sent a disconnect notice');
      connection.close();
    });
    connection.on('message', (message) => {
      if (message.kind === 'rude-rejection') this.lastError = `rejected by FreeSWITCH (ACL?): ${message.body.trim()}`;
    });
    connection.on('close', () => this.onClose(connection));
  }

  private async handshake(connection: EslConnection): Promise<void> {
    if (this.connection !== connection || this.state !== 'connecting') return;
    this.setState('authenticating');
    const timeoutMs = this.options.connectTimeoutMs;
    try {
      const auth = await connection.command(`auth ${this.options.password}`, {}, { timeoutMs });
      if (this.is('closed')) return;
      if (!isOkReply(auth.replyText)) return this.authFailed(connection, auth.replyText);
      // subscribe()/addFilter() during the handshake do not send (not ready yet): send
      // the whole subscription again until it no longer changed while being sent.
      let sent: number;
      do {
        sent = this.subscription.version;
        for (const line of this.subscription.commands(this.options.eventFormat)) {
          const reply = await connection.command(line, {}, { timeoutMs });
          if (!isOkReply(reply.replyText)) this.log.error({ command: line, reply: reply.replyText }, 'FreeSWITCH refused a subscription command');
        }
      } while (sent !== this.subscription.version && this.connection === connection);
    } catch (error) {
      if (this.connection === connection) this.drop(connection, `handshake failed: ${(error as Error).message}`);
      return;
    }
    if (this.connection !== connection || !connection.isOpen || !this.is('authenticating')) return;
    this.backoff.reset();
    this.setState('ready');
    this.log.info({ reconnects: this.reconnects }, 'FreeSWITCH event socket ready');
    this.liveness.watch(connection);
    this.queue.flush(connection);
    this.safeEmit('ready');
  }

  private authFailed(connection: EslConnection, replyText: string): void {
    this.lastError = `FreeSWITCH refused the event-socket password (${replyText})`;
    this.setState('auth-failed');
    this.log.error({ reply: replyText }, 'ESL authentication failed: check the node password in freeswitch.nodes; retrying with backoff');
    this.queue.failAll(() => new FreectiError('ESL_AUTH_FAILED', `${this.name}: ${this.lastError ?? 'authentication failed'}`));
    connection.close();
  }

  /** Tears a connection down; its close handler schedules the reconnect. */
  private drop(connection: EslConnection, reason: string): void {
    this.lastError = reason;
    this.log.warn({ reason }, 'dropping the FreeSWITCH connection');
    connection.destroy(reason);
  }

  private onClose(connection: EslConnection): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    this.liveness.stop();
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    if (this.state !== 'auth-failed') this.setState('disconnected');
    const delay = this.backoff.next();
    const details = { reason: this.lastError ?? 'connection closed', retryInMs: delay, attempt: this.backoff.attempts };
    if (wasReady || this.backoff.attempts === 1) this.log.warn(details, wasReady ? 'FreeSWITCH connection lost; reconnecting' : 'cannot reach FreeSWITCH; retrying');
    else this.log.info(details, 'FreeSWITCH still unreachable; retrying');
    this.later(delay, () => {
      this.reconnects++;
      this.open();
    });
  }

  // ---- helpers -----------------------------------------------------------------

  /** Reads the state afresh (TypeScript narrows `this.state` across awaits). */
  private is(state: NodeState): boolean {
    return this.state === state;
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private setState(state: NodeState): void {
    // 'closed' is final: a handshake still finishing after close() must not revive the client.
    if (this.state === state || this.state === 'closed') return;
    this.state = state;
    this.since = Date.now();
    this.safeEmit('state', state, this.status);
  }

  private safeEmit<K extends keyof EslClientEvents>(name: K, ...args: EslClientEvents[K]): void {
    try {
      (this.emit as (n: K, ...a: EslClientEvents[K]) => boolean)(name, ...args);
    } catch (error) {
      this.log.error({ err: error, listener: name }, 'listener threw; continuing');
    }
  }
}
