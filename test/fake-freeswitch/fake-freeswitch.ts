/**
 * A scripted FreeSWITCH event socket (inbound side) on a real TCP port, for tests.
 * Protocol behaviour lives in dispatch.ts / sendmsg.ts, bytes in serialise.ts; this
 * class owns the listener, the connections, the scripting tables and the failure
 * switches. API documented in README.md next to this file.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { EslDecoder } from '../../src/esl/decoder.js';
import type { EslEvent, EventHeaders } from '../../src/esl/event.js';
import { readEsl } from '../helpers/fixtures.js';
import { defaultApis, type ApiContext, type ApiReply } from './api-defaults.js';
import { createChannel, type ChannelInit, type FakeChannel } from './channels.js';
import type { ReceivedCommand } from './command-reader.js';
import { dispatch, type Calling, type DispatchHost } from './dispatch.js';
import { EventBuilder } from './event-builder.js';
import { FakeConnection, type ConnectionHost } from './fake-connection.js';
import { OutboundCall, type DialOptions, type OutboundHost } from './outbound-call.js';
import { handleSendmsg, hangupChannel, type ExecuteHandler, type SendmsgHost } from './sendmsg.js';
import { authRequest, commandReply, eventFrame } from './serialise.js';
import { CommandLog, type CommandMatch, type LoggedCommand } from './command-log.js';

export interface FakeFreeSwitchOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  password?: string;
  /** Shown as FreeSWITCH-Hostname in events. Default `fakefs`. */
  hostname?: string;
  coreUuid?: string;
}

export class FakeFreeSwitch implements ConnectionHost, DispatchHost, SendmsgHost, OutboundHost {
  readonly host: string;
  readonly password: string;
  port = 0;
  slowMs = 0;
  acceptedCount = 0;
  readonly connections = new Set<FakeConnection>();
  readonly channels = new Map<string, FakeChannel>();
  private readonly log = new CommandLog();
  /** Dialed calls by channel uuid, while their channel is up. */
  private readonly outboundCalls = new Map<string, OutboundCall>();
  private readonly apis = defaultApis();
  private readonly executeHandlers = new Map<string, ExecuteHandler>();
  private readonly builder: EventBuilder;
  private readonly hostname: string;
  readonly coreUuid: string;
  private readonly startedAt = Date.now();
  private server: Server | undefined;
  private cutNext = false;
  /** While hanging: the gate writes wait on, and its opener. */
  private hangGate: { promise: Promise<void>; open: () => void } | undefined;

  private constructor(options: FakeFreeSwitchOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.password = options.password ?? 'ClueCon';
    this.hostname = options.hostname ?? 'fakefs';
    this.coreUuid = options.coreUuid ?? randomUUID();
    this.builder = new EventBuilder({ hostname: this.hostname, coreUuid: this.coreUuid, ipv4: '127.0.0.1', ipv6: '::1' });
  }

  static async start(options: FakeFreeSwitchOptions = {}): Promise<FakeFreeSwitch> {
    const fake = new FakeFreeSwitch(options);
    await fake.listen(options.port ?? 0);
    return fake;
  }

  /** Every command of every connection, in arrival order. */
  get received(): readonly LoggedCommand[] {
    return this.log.all;
  }

  // ---- lifecycle -------------------------------------------------------------

  private listen(port: number): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        const address = server.address();
        if (typeof address === 'object' && address !== null) this.port = address.port;
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    const connection = new FakeConnection(++this.acceptedCount, socket, this);
    this.connections.add(connection);
    connection.send(authRequest(), 'greeting');
  }

  // ---- outbound mode -------------------------------------------------------------

  /**
   * Hands a new call to the outbound event socket server at `port` (the dialplan's `socket`
   * application): connects, then answers like FreeSWITCH (outbound-call.ts). The call's
   * channel is one of `channels` while it is up; its events also reach inbound listeners.
   */
  dial(port: number, options: DialOptions = {}): OutboundCall {
    return new OutboundCall(this, port, options);
  }

  get hostnameShown(): string {
    return this.hostname;
  }

  nextConnectionId(): number {
    return ++this.acceptedCount;
  }

  adopt(connection: FakeConnection, channel: FakeChannel, call: OutboundCall): void {
    this.connections.add(connection);
    this.channels.set(channel.uuid, channel);
    this.outboundCalls.set(channel.uuid, call);
  }

  /** Closes the listener and every connection (FreeSWITCH going down). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.dropConnections();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port after `stop()`. */
  async restart(): Promise<void> {
    if (this.server !== undefined) return;
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.stop();
    this.hang(false);
  }

  dropConnections(): void {
    for (const connection of this.connections) connection.destroy();
  }

  // ---- failure switches ------------------------------------------------------

  /** While on, nothing is written (greeting, replies, events); hang(false) sends it all, in order. */
  hang(on = true): void {
    if (on && this.hangGate === undefined) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      this.hangGate = { promise, open };
    } else if (!on && this.hangGate !== undefined) {
      this.hangGate.open();
      this.hangGate = undefined;
    }
  }

  get hanging(): boolean {
    return this.hangGate !== undefined;
  }

  awake(): Promise<void> {
    return this.hangGate?.promise ?? Promise.resolve();
  }

  slow(ms: number): void {
    this.slowMs = Math.max(0, ms);
  }

  disconnectMidMessage(): void {
    this.cutNext = true;
  }

  takeCut(): boolean {
    const cut = this.cutNext;
    this.cutNext = false;
    return cut;
  }

  sendGarbage(bytes: string | Buffer): void {
    for (const connection of this.connections) {
      if (connection.authenticated) connection.send(Buffer.from(bytes).toString('latin1'), 'raw');
    }
  }

  // ---- scripting -------------------------------------------------------------

  onApi(name: string, reply: ApiReply): void {
    this.apis.set(name, reply);
  }

  offApi(name: string): void {
    this.apis.delete(name);
  }

  onExecute(app: string, handler: ExecuteHandler): void {
    this.executeHandlers.set(app, handler);
  }

  addChannel(init: ChannelInit = {}): string {
    const channel = createChannel(init);
    this.channels.set(channel.uuid, channel);
    return channel.uuid;
  }

  channel(uuid: string): FakeChannel | undefined {
    return this.channels.get(uuid);
  }

  removeChannel(uuid: string): void {
    this.channels.delete(uuid);
    this.outboundCalls.delete(uuid);
  }

  // ---- events ----------------------------------------------------------------

  /** Completes the headers like FreeSWITCH and sends the event to subscribed connections. */
  emitEvent(headers: EventHeaders, body?: string): number {
    return this.fireRaw(this.builder.build(headers), body);
  }

  /** Sends exactly these headers (in this order) to subscribed connections. */
  emitRawEvent(headers: EventHeaders, body?: string): number {
    return this.fireRaw(headers, body);
  }

  /** Re-emits every event of a recorded `.esl` (bytes or fixture path); returns how many. */
  replay(source: Buffer | string, options: { filter?: (event: EslEvent) => boolean } = {}): number {
    const bytes = typeof source === 'string' ? readEsl(source) : source;
    let count = 0;
    for (const message of EslDecoder.decodeAll(bytes)) {
      if (message.kind !== 'event' || options.filter?.(message.event) === false) continue;
      this.fireRaw(message.event.headers, message.event.body);
      count++;
    }
    return count;
  }

  build(headers: EventHeaders, calling: Calling): EventHeaders {
    return this.builder.build(headers, calling);
  }

  fire(headers: EventHeaders, body?: string, calling?: Calling): number {
    return this.fireRaw(this.builder.build(headers, calling), body);
  }

  fireRaw(headers: EventHeaders, body?: string): number {
    let sent = 0;
    for (const connection of this.connections) {
      if (!connection.authenticated || !connection.subscription.accepts(headers)) continue;
      connection.send(eventFrame(connection.format, headers, body), 'event');
      sent++;
    }
    return sent;
  }

  // ---- protocol hooks ----------------------------------------------------------

  apiReply(name: string): ApiReply | undefined {
    return this.apis.get(name);
  }

  apiContext(connection: FakeConnection): ApiContext {
    return {
      channels: this.channels,
      hostname: this.hostname,
      startedAt: this.startedAt,
      connection: connection.id,
      hangup: (uuid, cause) => {
        // A dialed call ends the way its outbound socket shows it (linger notice and all).
        const call = this.outboundCalls.get(uuid);
        if (call !== undefined) return void call.hangup(cause);
        const channel = this.channels.get(uuid);
        if (channel !== undefined) hangupChannel(this, channel, cause);
      },
    };
  }

  executeHandler(app: string): ExecuteHandler | undefined {
    return this.executeHandlers.get(app);
  }

  sendmsg(connection: FakeConnection, command: ReceivedCommand): void {
    // To a dialed call's channel from another connection: the call runs it, as on its socket.
    const uuid = command.line.trim().split(/\s+/)[1] ?? '';
    const call = this.outboundCalls.get(uuid);
    if (call === undefined) return handleSendmsg(this, connection, command);
    connection.send(commandReply('+OK'), 'reply');
    call.sendmsg(command);
  }

  onCommand(connection: FakeConnection, command: ReceivedCommand): void {
    this.log.add(connection.id, command);
    connection.work = connection.work.then(() => dispatch(this, connection, command)).catch(() => undefined);
  }

  onClose(connection: FakeConnection): void {
    this.connections.delete(connection);
  }

  // ---- waiting -----------------------------------------------------------------

  waitForCommand(match: CommandMatch, timeoutMs = 2000): Promise<LoggedCommand> {
    return this.log.waitFor(match, timeoutMs);
  }

  async waitForConnections(count: number, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ([...this.connections].filter((c) => c.authenticated && !c.closed).length < count) {
      if (Date.now() > deadline) throw new Error(`fake FreeSWITCH: fewer than ${count} authenticated connections after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
