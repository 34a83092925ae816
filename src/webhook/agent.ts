/**
 * The one HTTP dispatcher of every webhook (routing, control mode, cti_bridge, event
 * notifications): an undici Agent, built once by the composition root (src/services.ts).
 * It keeps a connection pool per origin only while that origin has connections: a
 * connection idle for `idleMs` is closed, and an origin left without connections loses
 * its pool, so calling many distinct origins leaves nothing behind. Timeouts are per
 * request (src/webhook/client.ts), not per pool: `withSocketNotice` tells a request when
 * it has a connected socket, which ends its connect timeout.
 */
import { Agent, DecoratorHandler, type Dispatcher } from 'undici';

export interface WebhookAgentOptions {
  /** Connections per origin at most. Default 32. */
  connectionsPerOrigin?: number;
  /** An idle keep-alive connection is closed after this long (also caps the server's own hint). Default 4000. */
  idleMs?: number;
  /**
   * A TCP (+TLS) connect attempt is abandoned after this long, whatever the request that
   * caused it (each request gives up on its own after its connect timeout). Default 30000.
   */
  maxConnectMs?: number;
}

export const WEBHOOK_AGENT_DEFAULTS = { connectionsPerOrigin: 32, idleMs: 4000, maxConnectMs: 30_000 } as const;

export function createWebhookAgent(options: WebhookAgentOptions = {}): Agent {
  const idleMs = options.idleMs ?? WEBHOOK_AGENT_DEFAULTS.idleMs;
  return new Agent({
    connections: options.connectionsPerOrigin ?? WEBHOOK_AGENT_DEFAULTS.connectionsPerOrigin,
    keepAliveTimeout: idleMs,
    keepAliveMaxTimeout: idleMs,
    connect: { timeout: options.maxConnectMs ?? WEBHOOK_AGENT_DEFAULTS.maxConnectMs },
  });
}

/** How many origins have a pool right now (tests, the soak bench). */
export function agentOrigins(agent: Agent): number {
  return Object.keys(agent.stats).length;
}

/**
 * Request option (a symbol: undici never sends it): called once the request has a
 * connected socket, a new one or a kept-alive one, and is about to be written.
 */
export const ON_SOCKET: unique symbol = Symbol('freecti.webhook.onSocket');

export type SocketNoticeOptions = Dispatcher.RequestOptions & { [ON_SOCKET]?: () => void };

/** `dispatcher` with requests that carry `ON_SOCKET` told when they have a socket. */
export function withSocketNotice(dispatcher: Dispatcher): Dispatcher {
  return dispatcher.compose((dispatch) => (opts, handler) => {
    const notify = (opts as SocketNoticeOptions)[ON_SOCKET];
    return notify === undefined ? dispatch(opts, handler) : dispatch(opts, new SocketNotice(handler, notify));
  });
}

const decorated = DecoratorHandler.prototype as unknown as { onRequestStart(controller: unknown, context: unknown): void };

class SocketNotice extends DecoratorHandler {
  readonly #notify: () => void;

  constructor(handler: Dispatcher.DispatchHandler, notify: () => void) {
    super(handler);
    this.#notify = notify;
  }

  /** undici calls it when the request is handed to a connected socket. */
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#notify();
    decorated.onRequestStart.call(this, controller, context);
  }
}
