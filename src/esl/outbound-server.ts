/**
 * The TCP server FreeSWITCH connects to from the dialplan `socket` application:
 *
 *     <action application="socket" data="127.0.0.1:8084 async full"/>
 *
 * For each connection: send `connect` (FreeSWITCH speaks only after it), turn the reply
 * into an OutboundSession and emit 'session'. A connection that does not answer
 * `connect` within connectTimeoutMs, or answers something else, is dropped and logged.
 * `close()` stops listening and ends every session. Nothing a peer sends can throw here:
 * bad bytes are skipped by the decoder, and a dead peer only ends its own session.
 *
 * Who may connect: a peer whose address is not in `allowFrom` (IPv4-mapped IPv6 peers are
 * checked as IPv4) is destroyed before freecti writes a single byte, with one warn line.
 * A connection arriving while `maxSessions` sessions and pending connections are open is
 * closed the same way. Both are checked before anything else: the reply to `connect` is
 * trusted (its `cti_bridge` variable names a URL freecti asks), so only FreeSWITCH's
 * addresses may get that far.
 */
import { EventEmitter, once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { parseCidrList, type CidrList } from '../directory/cidr.js';
import { isFreectiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { EslConnection } from './connection.js';
import { connectOutbound, type ConnectedChannel } from './outbound-handshake.js';
import { OutboundSession } from './outbound-session.js';

export interface OutboundServerOptions {
  /** Listen address (config eslOutbound.host; loopback by default). */
  host: string;
  /** Listen port (config eslOutbound.port); 0 picks a free port. */
  port: number;
  /** Reply timeout of a session's commands (config freeswitch.commandTimeoutMs). */
  commandTimeoutMs: number;
  /** How long FreeSWITCH may take to answer `connect` (config freeswitch.connectTimeoutMs). */
  connectTimeoutMs: number;
  /**
   * Peer addresses (CIDR, IPv4/IPv6) allowed to connect (config eslOutbound.allowFrom).
   * Unset: loopback only (DEFAULT_OUTBOUND_ALLOW_FROM), the same as the config's default.
   */
  allowFrom?: readonly string[];
  /** Most sessions + pending connections at once (config eslOutbound.maxSessions); default 2000. */
  maxSessions?: number;
  /** Longest read after a session's disconnect-notice (config eslOutbound.lingerMs); default 5000. */
  lingerMs?: number;
  logger: Logger;
}

/** Loopback, IPv4 and IPv6: the default of `allowFrom` here and in the config. */
export const DEFAULT_OUTBOUND_ALLOW_FROM: readonly string[] = ['127.0.0.1/8', '::1/128'];
export const DEFAULT_OUTBOUND_MAX_SESSIONS = 2000;

export interface OutboundServerEvents {
  session: [session: OutboundSession];
}

export class OutboundServer extends EventEmitter<OutboundServerEvents> {
  private readonly server: Server;
  private readonly logger: Logger;
  private readonly live = new Set<OutboundSession>();
  private readonly connecting = new Set<EslConnection>();
  private readonly allowFrom: CidrList;
  private readonly maxSessions: number;
  private closing: Promise<void> | undefined;

  /** Throws when `allowFrom` holds something that is not an address or a CIDR. */
  constructor(private readonly options: OutboundServerOptions) {
    super();
    this.logger = options.logger.child({ component: 'esl-outbound' });
    this.allowFrom = parseCidrList((options.allowFrom ?? DEFAULT_OUTBOUND_ALLOW_FROM).join(','));
    this.maxSessions = options.maxSessions ?? DEFAULT_OUTBOUND_MAX_SESSIONS;
    this.server = createServer((socket) => {
      if (!this.admit(socket)) return;
      this.accept(socket).catch((error: unknown) => {
        this.logger.error({ err: error }, 'outbound connection handling failed');
        socket.destroy();
      });
    });
    this.server.on('error', (error) => this.logger.error({ err: error }, 'outbound ESL server error'));
  }

  /** Starts listening; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    if (this.closing !== undefined) throw new Error('outbound ESL server is closed');
    this.server.listen(this.options.port, this.options.host);
    await once(this.server, 'listening');
    const address = this.server.address() as AddressInfo;
    this.logger.info({ host: address.address, port: address.port }, 'outbound ESL server listening');
    return address;
  }

  address(): AddressInfo | null {
    const address = this.server.address();
    return address === null || typeof address === 'string' ? null : address;
  }

  /** Sessions running now (for metrics and /health). */
  get activeSessions(): number {
    return this.live.size;
  }

  /** Connections still waiting for FreeSWITCH's answer to `connect`. */
  get pendingConnections(): number {
    return this.connecting.size;
  }

  sessions(): OutboundSession[] {
    return [...this.live];
  }

  /** Stops accepting, drops unanswered connections, ends every session ('server-closed'). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
    for (const connection of this.connecting) connection.destroy('outbound server closing');
    await Promise.all([...this.live].map((session) => session.close('server-closed')));
    await stopped;
    this.logger.info('outbound ESL server closed');
  }

  /** The peer checks, before a single byte is written; false = the socket was destroyed. */
  private admit(socket: Socket): boolean {
    const address = socket.remoteAddress;
    if (address === undefined || !this.allowFrom.contains(address)) {
      // Do not answer at all: no `connect`, nothing to fingerprint.
      socket.destroy();
      this.logger.warn(
        { remote: `${address ?? '?'}:${socket.remotePort ?? '?'}`, allowFrom: this.allowFrom.text },
        `outbound connection refused: peer address ${address ?? '(unknown, already gone)'} is not in eslOutbound.allowFrom`,
      );
      return false;
    }
    const open = this.live.size + this.connecting.size;
    if (open >= this.maxSessions) {
      socket.destroy();
      this.logger.warn(
        { remote: `${address}:${socket.remotePort ?? '?'}`, sessions: this.live.size, pending: this.connecting.size },
        `outbound connection refused: ${open} sessions and pending connections already open (eslOutbound.maxSessions ${this.maxSessions})`,
      );
      return false;
    }
    return true;
  }

  private async accept(socket: Socket): Promise<void> {
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const log = this.logger.child({ remote });
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    const connection = new EslConnection(socket, { commandTimeoutMs: this.options.commandTimeoutMs, logger: log });
    this.connecting.add(connection);
    let connected: ConnectedChannel;
    try {
      connected = await connectOutbound(connection, this.options.connectTimeoutMs);
    } catch (error) {
      const why = isFreectiError(error) ? `${error.code}: ${error.message}` : String(error);
      log.warn({ err: error }, `outbound connection dropped: ${why}`);
      connection.destroy('connect failed');
      return;
    } finally {
      this.connecting.delete(connection);
    }
    if (this.closing !== undefined || !connection.isOpen) {
      log.warn({ uuid: connected.channel.uuid }, 'outbound connection dropped: closed during connect');
      connection.destroy('closed during connect');
      return;
    }
    // From now on every line of this connection (its EslConnection's too) names the call.
    log.setBindings({ uuid: connected.channel.uuid });
    this.startSession(connection, connected, log);
  }

  private startSession(connection: EslConnection, connected: ConnectedChannel, log: Logger): void {
    const session = new OutboundSession(connection, connected, log, this.options.lingerMs === undefined ? {} : { lingerMs: this.options.lingerMs });
    this.live.add(session);
    void session.whenEnded().then(() => this.live.delete(session));
    const c = connected.channel;
    log.info(
      { caller: c.callerNumber, destination: c.destinationNumber, channel: c.channelName, context: c.context },
      'outbound session started',
    );
    if (this.listenerCount('session') === 0) {
      log.warn('outbound session closed: nothing handles outbound sessions');
      void session.close();
      return;
    }
    try {
      this.emit('session', session);
    } catch (error) {
      log.error({ err: error }, "outbound 'session' listener threw; closing the session");
      void session.close();
      return;
    }
    if (session.claimedBy === undefined) {
      log.warn(
        { variables: ['cti_bridge', 'cti_dial', 'freecti_route'] },
        'outbound session closed: no feature claimed it (the dialplan set none of the variables that select one); FreeSWITCH goes on with the dialplan',
      );
      void session.close();
    }
  }
}

export function createOutboundServer(options: OutboundServerOptions): OutboundServer {
  return new OutboundServer(options);
}
